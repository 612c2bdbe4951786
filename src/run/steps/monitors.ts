import type { RunningMonitors } from '../../monitor/run.js';
import { messageOf } from '../../util/message.js';

/**
 * Stops a run's monitors (replay's, a generation session's): what they wrote, or undefined with a
 * warning when they could not be stopped (a monitor's failure never fails the run).
 */
export async function stopMonitors(
  monitors: RunningMonitors,
  warnings: string[],
): Promise<Awaited<ReturnType<RunningMonitors['stop']>> | undefined> {
  try {
    return await monitors.stop();
  } catch (e) {
    warnings.push(`monitors: ${messageOf(e)}`);
    return undefined;
  }
}
