/** The OpenFaaS platform: invoke through the gateway (sync or async with a callback), deploy through /system/functions. */

export {
  OPENFAAS_PLATFORM_DEFAULTS,
  type OpenFaasPlatformOptions,
  resolveOpenFaasOptions,
} from './options.js';
export { type FunctionDeployment, OpenFaasPlatform } from './platform.js';
