/** The AWS Lambda platform: the Invoke API signed with SigV4, the platform's view from the log tail. */

export { type AwsCredentials, type AwsIdentity, resolveAwsIdentity } from './credentials.js';
export { type LambdaReport, parseReport, reportFromHeader } from './log.js';
export {
  INVOCATION_TYPES,
  type InvocationType,
  LAMBDA_PLATFORM_DEFAULTS,
  type LambdaPlatformOptions,
  resolveLambdaOptions,
} from './options.js';
export { LambdaPlatform } from './platform.js';
