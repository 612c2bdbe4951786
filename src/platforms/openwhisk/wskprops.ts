/**
 * The wsk CLI's configuration: a properties file (default ~/.wskprops, or the file named by
 * WSK_CONFIG_FILE) with APIHOST, AUTH and NAMESPACE lines, then environment overrides.
 *
 * As the wsk CLI does (openwhisk-cli commands/property.go, loadProperties): WSK_CONFIG_FILE names
 * the file (set but empty: no file at all), WHISK_APIHOST / WHISK_AUTH / WHISK_NAMESPACE override
 * the file. Then, as the OpenWhisk JavaScript client and the environment OpenWhisk gives actions
 * do, __OW_API_HOST / __OW_API_KEY / __OW_NAMESPACE override those. A missing file is no file.
 *
 * The file: one KEY=VALUE a line; blank lines and lines starting with # or ! are skipped; a value
 * may be in single or double quotes; an unquoted value ends at a #.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FaasloadError } from '../../errors.js';
import { errnoCodeOf } from '../../util/message.js';

export interface WskProps {
  apiHost?: string;
  auth?: string;
  namespace?: string;
}

/** Environment variables read, in order: later ones win. */
export const WSK_ENV = {
  apiHost: ['WHISK_APIHOST', '__OW_API_HOST'],
  auth: ['WHISK_AUTH', '__OW_API_KEY'],
  namespace: ['WHISK_NAMESPACE', '__OW_NAMESPACE'],
} as const;

/** The properties file the wsk CLI reads: WSK_CONFIG_FILE if set (even empty), else ~/.wskprops. */
export function wskPropsPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.WSK_CONFIG_FILE ?? join(homedir(), '.wskprops');
}

/** Every KEY=VALUE of a properties text, keys upper-cased (see the module comment). */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim().toUpperCase();
    let value = line.slice(eq + 1).trim();
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      const close = value.indexOf(quote, 1);
      value = close < 0 ? value.slice(1) : value.slice(1, close);
    } else {
      const hash = value.indexOf('#');
      if (hash >= 0) value = value.slice(0, hash).trim();
    }
    props.set(key, value);
  }
  return props;
}

/** The APIHOST, AUTH and NAMESPACE of a properties text (empty values count as missing). */
export function parseWskProps(text: string): WskProps {
  const props = parseProperties(text);
  const out: WskProps = {};
  const apiHost = props.get('APIHOST');
  const auth = props.get('AUTH');
  const namespace = props.get('NAMESPACE');
  if (apiHost) out.apiHost = apiHost;
  if (auth) out.auth = auth;
  if (namespace) out.namespace = namespace;
  return out;
}

/** The environment's overrides (see WSK_ENV); empty variables are ignored. */
export function wskEnvOverrides(env: NodeJS.ProcessEnv = process.env): WskProps {
  const out: WskProps = {};
  for (const field of ['apiHost', 'auth', 'namespace'] as const) {
    for (const name of WSK_ENV[field]) {
      const v = env[name];
      if (v) out[field] = v;
    }
  }
  return out;
}

/**
 * The wsk CLI's configuration: the file at `path` (default: wskPropsPath(env)) then the
 * environment's overrides from `env` (pass {} for the file alone). A missing file gives {} for the
 * file; an unreadable one (a folder, no permission) is an E_USAGE error naming it. Never includes
 * the key in errors.
 */
export function readWskProps(path?: string, env: NodeJS.ProcessEnv = process.env): WskProps {
  const file = path ?? wskPropsPath(env);
  let fromFile: WskProps = {};
  if (file !== '') {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = errnoCodeOf(e);
      if (code !== 'ENOENT') {
        throw new FaasloadError('E_USAGE', `cannot read the wsk properties file ${file}: ${code ?? e}`);
      }
    }
    if (text !== undefined) fromFile = parseWskProps(text);
  }
  return { ...fromFile, ...wskEnvOverrides(env) };
}
