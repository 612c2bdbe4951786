/** The embedded ("local") platform: child-process instances of faasload's runtime proxy. */

export {
  defaultProxyPath,
  LOCAL_PLATFORM_DEFAULTS,
  type LocalPlatformOptions,
  resolveLocalOptions,
} from './options.js';
export {
  type FailureStage,
  type LocalFunctionSpec,
  type LocalInstanceInfo,
  type LocalInstanceState,
  type LocalInvocationResult,
  LocalPlatform,
  type LocalPlatformStats,
} from './platform.js';
