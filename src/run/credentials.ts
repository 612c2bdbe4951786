/** Manifests get shared: the secrets a replay's options and command line may hold are hidden. */
import type { ReplayOptions } from './replay-options.js';

const HIDDEN = '(not recorded)';
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie)$/i;
const urlWithoutCredentials = (url: string) =>
  url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, `$1${HIDDEN}@`);

/** The configuration without keys, URL passwords or authorization headers. */
export function withoutCredentials<T extends Pick<ReplayOptions, 'http' | 'openwhisk' | 'openfaas'>>(
  config: T,
): T {
  const out = { ...config };
  if (out.openwhisk?.auth !== undefined) out.openwhisk = { ...out.openwhisk, auth: HIDDEN };
  if (out.openfaas?.password !== undefined) out.openfaas = { ...out.openfaas, password: HIDDEN };
  if (out.http) {
    const url = urlWithoutCredentials(out.http.url);
    const headers = Object.fromEntries(
      Object.entries(out.http.headers ?? {}).map(([k, v]) => [k, SECRET_HEADER.test(k) ? HIDDEN : v]),
    );
    out.http = { ...out.http, url, headers };
  }
  return out;
}

/** The command line with the same secrets hidden: --auth's value, secret headers, URL passwords. */
export function commandLineWithoutCredentials(args: readonly string[]): string[] {
  return args.map((arg, i) => {
    const previous = args[i - 1];
    if (previous === '--auth' || arg.startsWith('--auth='))
      return arg.startsWith('--auth=') ? `--auth=${HIDDEN}` : HIDDEN;
    if (
      (previous === '--header' || arg.startsWith('--header=')) &&
      SECRET_HEADER.test(
        arg
          .replace(/^--header=/, '')
          .split(':')[0]!
          .trim(),
      )
    )
      return arg.startsWith('--header=') ? `--header=${HIDDEN}` : HIDDEN;
    return urlWithoutCredentials(arg);
  });
}
