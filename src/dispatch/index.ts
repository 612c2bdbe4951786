export { type Clock, FakeClock } from './clock.js';
export {
  DISPATCH_DEFAULTS,
  type DispatchOptions,
  type DispatchStats,
  dispatch,
  type InvocationRecord,
  type Invoker,
  type Phase,
} from './dispatcher.js';
export {
  choosePacing,
  createClock,
  PACING_CHOICES,
  PacedClock,
  type Pacing,
  type PacingChoice,
} from './pacing.js';
