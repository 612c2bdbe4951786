import type { Argv } from 'yargs';
import type { OpenFaasPlatformOptions } from '../platforms/openfaas/index.js';
import { errnoCodeOf } from '../util/message.js';

const group = 'OpenFaaS platform:';

/** The flags of --platform openfaas. */
export function openfaasFlags<T>(y: Argv<T>) {
  return y
    .options({
      'openfaas-url': { type: 'string', describe: 'The gateway (default: OPENFAAS_URL)', group },
      'openfaas-user': { type: 'string', describe: 'Basic auth user for /system (default: admin)', group },
      'openfaas-password-file': {
        type: 'string',
        describe:
          'File holding the gateway password (default: OPENFAAS_PASSWORD); never written to the dataset',
        group,
      },
      'openfaas-namespace': { type: 'string', describe: "The functions' namespace (faas-netes)", group },
    })
    .options({
      'openfaas-image': {
        type: 'string',
        describe: 'Deploy each function with this image (else deploy only checks they exist)',
        group,
      },
      'openfaas-async': {
        type: 'boolean',
        describe:
          'Invoke through /async-function with an X-Callback-Url to faasload (results joined by X-Call-Id)',
        group,
      },
      'openfaas-callback-listen': {
        type: 'string',
        describe: 'host:port the callback server listens on (default: 127.0.0.1:0)',
        group,
      },
      'openfaas-callback-url': {
        type: 'string',
        describe:
          'The callback URL given to the gateway, if the queue worker reaches faasload by another name',
        group,
      },
    });
}

export const OPENFAAS_FLAGS = [
  'openfaas-url',
  'openfaas-user',
  'openfaas-password-file',
  'openfaas-namespace',
  'openfaas-image',
  'openfaas-async',
  'openfaas-callback-listen',
  'openfaas-callback-url',
] as const;

type OpenFaasArgs = {
  [K in (typeof OPENFAAS_FLAGS)[number]]?: K extends 'openfaas-async' ? boolean : string;
};

/**
 * The OpenFaaS options the flags and the environment give (OPENFAAS_URL, OPENFAAS_PASSWORD, as
 * faas-cli reads them); undefined without a gateway. `readFile` reads the password file.
 */
export function toOpenFaasOptions(
  args: OpenFaasArgs,
  errors: string[],
  readFile: (path: string) => string,
  env: NodeJS.ProcessEnv = process.env,
): Omit<OpenFaasPlatformOptions, 'invokeTimeoutMs'> | undefined {
  const url = args['openfaas-url'] ?? env.OPENFAAS_URL;
  if (url === undefined) {
    errors.push('--platform openfaas needs --openfaas-url (or OPENFAAS_URL), e.g. http://127.0.0.1:8080');
    return undefined;
  }
  const o: Omit<OpenFaasPlatformOptions, 'invokeTimeoutMs'> = { gatewayUrl: url };
  if (args['openfaas-user'] !== undefined) o.user = args['openfaas-user'];
  const file = args['openfaas-password-file'];
  if (file !== undefined) {
    try {
      o.password = readFile(file).trim();
    } catch (e) {
      errors.push(`--openfaas-password-file: cannot read ${file}: ${errnoCodeOf(e) ?? e}`);
    }
  } else if (env.OPENFAAS_PASSWORD) o.password = env.OPENFAAS_PASSWORD;
  if (args['openfaas-namespace'] !== undefined) o.namespace = args['openfaas-namespace'];
  if (args['openfaas-image'] !== undefined) o.image = args['openfaas-image'];
  if (args['openfaas-async']) o.async = true;
  if (args['openfaas-callback-listen'] !== undefined) o.callbackListen = args['openfaas-callback-listen'];
  if (args['openfaas-callback-url'] !== undefined) o.callbackUrl = args['openfaas-callback-url'];
  return o;
}
