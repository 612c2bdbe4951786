/** The OpenWhisk platform: actions deployed and invoked through OpenWhisk's REST API (/api/v1). */

export {
  type ActivationFields,
  isActivationRecord,
  readActivation,
} from './activation.js';
export { createOpenWhisk, type OpenWhiskSetup } from './create.js';
export {
  type Manifest,
  type ManifestAction,
  type ManifestPackage,
  parseManifest,
  readManifest,
} from './manifest.js';
export {
  OPENWHISK_MIN_MEMORY_MB,
  OPENWHISK_PLATFORM_DEFAULTS,
  type OpenWhiskPlatformOptions,
  resolveOpenWhiskOptions,
} from './options.js';
export { type ActionPut, OpenWhiskPlatform } from './platform.js';
export { fnv1a, type OpenWhiskTenant, parseTenants, readTenants, routeTenant } from './tenants.js';
export { type OpenWhiskAdapter, OpenWhiskTenantsPlatform } from './tenants-platform.js';
export {
  parseWskProps,
  readWskProps,
  WSK_ENV,
  type WskProps,
  wskEnvOverrides,
  wskPropsPath,
} from './wskprops.js';
