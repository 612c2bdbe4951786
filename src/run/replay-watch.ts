/**
 * What watches a replay while it fires, once a second: lag alerts (and --abort-on-lag), the
 * platform setting the pace (each kind said once), and the progress line. Stopped when firing ends.
 */
import type { Clock } from '../dispatch/clock.js';
import type { LiveStats } from '../dispatch/live.js';
import { PaceWatch } from '../dispatch/pace.js';
import { startProgress } from '../report/progress.js';
import type { ResolvedReplayOptions } from './replay-options.js';
import type { ReplayPlan } from './replay-plan.js';
import type { ReplayRun } from './replay-run.js';

export function watchRun(
  o: ResolvedReplayOptions,
  p: ReplayPlan,
  run: ReplayRun,
  live: LiveStats,
  clock: Clock,
  startUs: number,
  log: (line: string) => void,
): { stop(): void } {
  const { stop } = run.ctl;
  const checker = setInterval(() => {
    for (const alert of live.check(clock.nowUs())) {
      run.alerts.push(alert);
      const action = o.abortOnLag ? 'stopping (--abort-on-lag)' : 'the run goes on';
      log(`warning: at ${alert.second} s: ${alert.message}; ${action}`);
      p.warnings.push(`lag at ${alert.second} s: ${alert.message}`);
      if (o.abortOnLag && !stop.signal.aborted) stop.abort(new Error(`lag: ${alert.message}`));
    }
  }, 1000);
  checker.unref();
  const pace = p.pressure ? new PaceWatch({ pressure: p.pressure }) : undefined;
  const paceChecker = pace ? watchPace(pace, p, clock, startUs, log) : undefined;
  const progress = o.progress
    ? startProgress({
        target: o.progress,
        snapshot: () => live.snapshot(clock.nowUs()),
        planned: p.planned,
        spanS: p.schedule.spanUs / 1e6,
        ...(pace ? { note: () => pace.progressNote() } : {}),
      })
    : undefined;
  return {
    stop: () => {
      clearInterval(checker);
      clearInterval(paceChecker);
      progress?.stop();
    },
  };
}

/** When the platform, not the plan, sets the pace: sampled once a second, each kind said once. */
function watchPace(
  pace: PaceWatch,
  p: ReplayPlan,
  clock: Clock,
  startUs: number,
  log: (line: string) => void,
): NodeJS.Timeout {
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    const second = Math.floor((clock.nowUs() - startUs) / 1e6);
    void pace
      .check(second)
      .then((raised) => {
        for (const alert of raised) {
          log(`warning: at ${alert.second} s the platform sets the pace: ${alert.message}`);
          p.warnings.push(`the platform set the pace at ${alert.second} s: ${alert.message}`);
        }
      })
      .finally(() => {
        checking = false;
      });
  }, 1000);
  timer.unref();
  return timer;
}
