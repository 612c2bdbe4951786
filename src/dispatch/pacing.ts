import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { epochUs } from '../util/time.js';
import type { Clock } from './clock.js';
import { WakeThread } from './wake-thread.js';

/**
 * How the dispatcher waits for the next fire time (`--pacing`):
 * - timer: a timer to the millisecond at or after the deadline. The least CPU; fires 0 to about
 *   1 ms late (timers have millisecond resolution), more on a busy event loop.
 * - precise: a wake thread (wake-thread.ts) that sleeps to WAKE_EARLY_US before the deadline with
 *   microsecond resolution and wakes the event loop, which spins the rest. Typically within tens
 *   of microseconds; the dispatcher's thread sleeps in its event loop meanwhile, serving I/O, and
 *   each wait costs a message between threads (see choosePacing).
 * - auto: precise when the free cores hold the dispatcher's thread at the plan's peak rate,
 *   timer otherwise (see choosePacing).
 * Both never fire early.
 */
export type Pacing = 'timer' | 'precise';
export const PACING_CHOICES = ['auto', 'timer', 'precise'] as const;
export type PacingChoice = (typeof PACING_CHOICES)[number];

/** The wake thread wakes the event loop this long before the deadline: about its wake-up's cost. */
const WAKE_EARLY_US = 80;
/** Below this much time left, the clock spins without yielding (a wake costs about as much). */
const SPIN_US = 100;

/**
 * Timer pacing: a wait this short or shorter is not subscribed to the signal (an abort is seen
 * when it ends, within this time); a longer one sleeps, subscribed, to its last millisecond first.
 */
const UNWATCHED_WAIT_US = 2_000;

/**
 * A timer to the millisecond at or after atUs (it may fire a fraction of a millisecond early),
 * then the rest polled between turns of the event loop, so I/O is served meanwhile. One promise
 * and one closure a wait, whatever the polls: the dispatcher waits once per arrival.
 */
function timerWait(atUs: number, signal: AbortSignal | undefined): Promise<void> {
  if (atUs <= epochUs() || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const poll = () => {
      if (atUs <= epochUs() || signal?.aborted) resolve();
      else setImmediate(poll);
    };
    setTimeout(poll, Math.ceil((atUs - epochUs()) / 1000));
  });
}

const DONE = Promise.resolve();

/** The last microseconds of a precise wait: spun through, never early. */
function spinUntil(atUs: number): Promise<void> {
  while (atUs > epochUs());
  return DONE;
}

/** The real clock, paced as `pacing` says. close() ends its wake thread (precise). */
export class PacedClock implements Clock {
  private readonly wake: WakeThread | undefined;

  constructor(readonly pacing: Pacing) {
    this.wake = pacing === 'precise' ? new WakeThread() : undefined;
  }

  nowUs(): number {
    return epochUs();
  }

  /** Not async: the wait's own promise is returned, without one more per arrival. */
  sleepUntil(atUs: number, signal?: AbortSignal): Promise<void> {
    const leftUs = atUs - epochUs();
    if (leftUs <= 0 || signal?.aborted) return DONE;
    if (this.wake) {
      if (leftUs <= SPIN_US) return spinUntil(atUs);
      return this.wake.wait(leftUs - WAKE_EARLY_US, signal).then((woken) => {
        if (woken) spinUntil(atUs);
      });
    }
    if (leftUs <= UNWATCHED_WAIT_US) return timerWait(atUs, signal);
    return sleep(Math.ceil(leftUs / 1000) - 1, undefined, signal ? { signal } : {}).then(
      () => timerWait(atUs, signal),
      () => undefined, // aborted
    );
  }

  async close(): Promise<void> {
    await this.wake?.close();
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
 * CPU of the dispatcher's thread per precise wait, beyond the send: the message from the wake
 * thread and the spin through the last WAKE_EARLY_US, at most.
 */
export const WAKE_CPU_US = WAKE_EARLY_US + 20;

/**
 * Resolves `--pacing auto`, a pure function of the plan's peak rate and the free cores. At the
 * peak, precise costs the dispatcher's thread peak x (SEND_CPU_US + WAKE_CPU_US) of a core (a
 * whole core at most, when it spins from one arrival to the next), timer peak x SEND_CPU_US. So
 * precise when the free cores hold the dispatcher's thread at the peak plus SPARE_CORES for the
 * writer thread, GC and a local target; timer otherwise, which costs the least. The reason says why.
 */
export function choosePacing(choice: PacingChoice, inputs: PacingInputs): { pacing: Pacing; reason: string } {
  if (choice !== 'auto') return { pacing: choice, reason: `--pacing ${choice}` };
  const { peakPerS, freeCores, cpus } = inputs;
  const dispatcherCores = Math.min(1, (peakPerS * (SEND_CPU_US + WAKE_CPU_US)) / 1e6);
  const needCores = dispatcherCores + SPARE_CORES;
  const facts = `plan peak ${Math.round(peakPerS)}/s: precise needs ${dispatcherCores.toFixed(2)} core for the dispatcher's thread + ${SPARE_CORES} spare; ${Math.max(0, freeCores).toFixed(1)} of ${cpus} cores free`;
  return freeCores >= needCores
    ? { pacing: 'precise', reason: `auto: ${facts}` }
    : { pacing: 'timer', reason: `auto: ${facts}, too few` };
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
