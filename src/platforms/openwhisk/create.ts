/**
 * Builds the OpenWhisk adapter from what the user gave: flags first, then the environment, then a
 * wsk properties file (--wskprops FILE, else WSK_CONFIG_FILE, else ~/.wskprops), as the wsk CLI
 * reads them; with a tenants file (tenants.ts), one key per tenant instead of one key.
 */
import { FaasloadError } from '../../errors.js';
import type { OpenWhiskPlatformOptions } from './options.js';
import { OpenWhiskPlatform } from './platform.js';
import { readTenants } from './tenants.js';
import { type OpenWhiskAdapter, OpenWhiskTenantsPlatform } from './tenants-platform.js';
import { readWskProps } from './wskprops.js';

export interface OpenWhiskSetup extends Partial<OpenWhiskPlatformOptions> {
  /** A wsk properties file read instead of ~/.wskprops (APIHOST, AUTH, NAMESPACE). */
  configFile?: string;
  /** A tenants file (tenants.ts): one key per tenant, functions routed by their owner. */
  tenantsFile?: string;
}

/** Throws E_USAGE when no API host or key can be found, or the files are invalid (never the key). */
export function createOpenWhisk(setup: OpenWhiskSetup = {}): OpenWhiskAdapter {
  const { configFile, tenantsFile, ...given } = setup;
  const props = readWskProps(configFile);
  const where = configFile ?? '~/.wskprops (WSK_CONFIG_FILE)';
  const apiHost = given.apiHost ?? props.apiHost;
  const namespace = given.namespace ?? props.namespace;
  if (tenantsFile !== undefined) {
    if (given.auth !== undefined) {
      throw new FaasloadError(
        'E_USAGE',
        '--auth and --tenants both give keys: give them in the tenants file only',
      );
    }
    const { auth: _auth, ...base } = given;
    return new OpenWhiskTenantsPlatform(readTenants(tenantsFile), {
      ...base,
      ...(apiHost !== undefined ? { apiHost } : {}),
    });
  }
  const auth = given.auth ?? props.auth;
  if (apiHost === undefined || auth === undefined) {
    throw new FaasloadError(
      'E_USAGE',
      `the openwhisk platform needs an API host and a key: --apihost and --auth, or APIHOST and AUTH in ${where}`,
    );
  }
  return new OpenWhiskPlatform({
    ...given,
    apiHost,
    auth,
    ...(namespace !== undefined ? { namespace } : {}),
  });
}
