/** The embedded platform's OpenWhisk-compatible REST API. */

export { AlarmFeeds, nextCron, parseCron } from './alarms.js';
export { checkAuthFormat, generateAuth } from './auth.js';
export type { PackageRecord, RuleRecord, TriggerRecord } from './entities.js';
export type { ActionLimits, ActionRecord, ActivationRecord, KeyValue, ResponseStatus } from './records.js';
export { DEFAULT_LIMITS } from './records.js';
export { httpStatusOf, MESSAGES, OpenWhiskApi } from './routes.js';
export {
  API_PREFIX,
  OPENWHISK_SERVER_DEFAULTS,
  type OpenWhiskServer,
  type OpenWhiskServerOptions,
  startOpenWhiskServer,
} from './server.js';
