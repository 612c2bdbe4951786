export { type Clock, FakeClock, RealClock } from './clock.js';
export {
  type DispatchOptions,
  type DispatchStats,
  dispatch,
  type InvocationRecord,
  type Invoker,
} from './dispatcher.js';
