import { cpus } from 'node:os';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { epochUs } from '../util/time.js';
import type { Clock } from './clock.js';

/**
 * How the dispatcher waits for the next fire time (`--pacing`):
 * - timer: a timer to the millisecond at or after the deadline. Low CPU; fires 0 to about 1 ms
 *   late (timers have millisecond resolution), more on a busy event loop.
 * - precise: a timer until 2 ms before the deadline, then polling the clock between turns of the
 *   event loop (setImmediate), so network I/O is served between polls, and spinning through the
 *   last 50 µs. Typically within tens of microseconds on a free core, at the cost of that core
 *   while it polls (all the time when arrivals are less than 2 ms apart).
 * - auto: precise when the free cores hold the dispatcher's thread polling at the plan's peak rate,
 *   timer otherwise (see choosePacing).
 * Both never fire early.
 */
export type Pacing = 'timer' | 'precise';
export const PACING_CHOICES = ['auto', 'timer', 'precise'] as const;
export type PacingChoice = (typeof PACING_CHOICES)[number];

/** Below this much time left, the precise clock stops using timers and polls. */
const POLL_US = 2_000;
/** Below this much, it spins without yielding (shorter than a turn of a busy event loop). */
const SPIN_US = 50;

/**
 * The real clock, paced as `pacing` says: a timer to the deadline's millisecond (timer) or to
 * POLL_US before it (precise), then polling between turns of the event loop until it has come.
 */
export class PacedClock implements Clock {
  constructor(readonly pacing: Pacing) {}

  nowUs(): number {
    return epochUs();
  }

  async sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
    const leftUs = atUs - epochUs();
    const timerMs =
      this.pacing === 'timer' ? Math.ceil(leftUs / 1000) : Math.floor((leftUs - POLL_US) / 1000);
    if (timerMs > 0) {
      try {
        await sleep(timerMs, undefined, signal ? { signal } : {});
      } catch {
        return; // aborted
      }
    }
    for (;;) {
      const left = atUs - epochUs();
      if (left <= 0 || signal?.aborted) return;
      // The last few tens of µs are spun through: a turn of the event loop costs about as much,
      // and I/O waits no longer than that.
      if (left <= SPIN_US) {
        while (atUs > epochUs());
        return;
      }
      await yieldToLoop();
    }
  }
}

/** What `--pacing auto` decides from: the plan's peak rate and the host's free cores. */
export interface PacingInputs {
  /** The plan's highest count of invocations in one second of the run. */
  peakPerS: number;
  /** Cores free for the run: idle, plus those this process used itself (see CpuWindow). */
  freeCores: number;
  cpus: number;
}

/**
 * Estimated CPU the dispatcher's thread spends per invocation sent (the send path, the row path,
 * the live accounting): the order of magnitude the pacing benchmark measures at 2,000-5,000/s
 * (npm run bench -- pacing), rounded up.
 */
export const SEND_CPU_US = 50;
/** Cores left over, past the dispatcher's thread, for the writer thread, GC and a local target. */
export const SPARE_CORES = 0.5;

/**
 * Resolves `--pacing auto`, a pure function of the plan's peak rate and the free cores. precise
 * keeps the dispatcher's thread polling POLL_US before each arrival: at the peak that is
 * min(1, peak x POLL_US) of a core, plus the sending itself (peak x SEND_CPU_US), and the thread
 * is only whole while it has a core to itself. So precise when the free cores hold the
 * dispatcher's thread at the peak plus SPARE_CORES; timer otherwise (a sleeping thread is woken
 * promptly on a busy host, a polling one is time-sliced). A sparse plan costs little polling and
 * gets precise even on a busy host; a dense one needs a whole free core. The reason says why.
 */
export function choosePacing(choice: PacingChoice, inputs: PacingInputs): { pacing: Pacing; reason: string } {
  if (choice !== 'auto') return { pacing: choice, reason: `--pacing ${choice}` };
  const { peakPerS, freeCores, cpus } = inputs;
  const pollCores = Math.min(1, (peakPerS * POLL_US) / 1e6);
  const dispatcherCores = Math.min(1, pollCores + (peakPerS * SEND_CPU_US) / 1e6);
  const needCores = dispatcherCores + SPARE_CORES;
  const facts = `plan peak ${Math.round(peakPerS)}/s: precise needs ${dispatcherCores.toFixed(2)} core for the dispatcher's thread + ${SPARE_CORES} spare; ${Math.max(0, freeCores).toFixed(1)} of ${cpus} cores free`;
  return freeCores >= needCores
    ? { pacing: 'precise', reason: `auto: ${facts}` }
    : { pacing: 'timer', reason: `auto: ${facts}, too few to poll` };
}

/**
 * Measures the cores free on the host from its creation to free(): the idle time of every CPU
 * (os.cpus()) plus the CPU this process used meanwhile (its own threads will be the run's, so
 * they count as free), over the wall time. Linux and macOS report idle time; elsewhere the
 * result is 0 idle (then only this process's use counts).
 */
export class CpuWindow {
  private readonly idle0 = idleMs();
  private readonly own0 = process.cpuUsage();
  private readonly t0 = performance.now();

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  freeCores(): number {
    const wallMs = this.elapsedMs();
    if (wallMs <= 0) return 0;
    const own = process.cpuUsage(this.own0);
    const freeMs = idleMs() - this.idle0 + (own.user + own.system) / 1000;
    return Math.min(cpus().length, freeMs / wallMs);
  }
}

function idleMs(): number {
  let ms = 0;
  for (const c of cpus()) ms += c.times.idle;
  return ms;
}

export function createClock(pacing: Pacing): PacedClock {
  return new PacedClock(pacing);
}
