/**
 * The Docker engine's container events as one resilient source, for the monitors that follow
 * containers (container.ts, perf.ts).
 *
 * Contract: events come to `handlers.event` in the engine's order, each (container, action, time)
 * once. When the live stream breaks (the daemon restarts or goes away) `handlers.lost` is called
 * once, the source reconnects every reconnectMs, and on reconnection asks for the events since
 * the last one delivered: the engine replays what happened meanwhile (marked `replayed`), then
 * `handlers.back` is called. catchUp() reads the events up to now once more, as a bounded query
 * that ends by itself: a live stream can lag behind the engine on a loaded host. Handlers run on
 * the stream's 'data' callbacks and must not block.
 */
import type Dockerode from 'dockerode';
import { isDockerodeV5 } from '../embedded/docker/dockerode-v5.js';
import { messageOf } from '../util/message.js';

const API_TIMEOUT_MS = 5_000;
const RECONNECT_MS = 1_000;

/** One container event, as the engine reported it. */
export interface ContainerEvent {
  id: string;
  /** e.g. create, start, die, destroy; `exec_start: sh` is given as exec_start. */
  action: string;
  /** The engine's time, epoch nanoseconds. */
  nano: bigint;
  /** The container's attributes at the event (name, labels, exitCode, signal, ...). */
  attributes: Record<string, string>;
  /** Delivered on a reconnection, for a time the live stream missed. */
  replayed: boolean;
}

export interface EngineEventHandlers {
  event(e: ContainerEvent): void;
  /** The live stream broke, or could not be opened: a gap starts. Once per gap. */
  lost(why: string): void;
  /** The live stream is open again after lost(); the events of the gap follow. */
  back(): void;
}

export interface EngineEventsOptions {
  docker: Dockerode;
  /** Only these actions (the engine filters them); every container event when absent. */
  actions?: readonly string[];
  reconnectMs?: number;
}

interface RawEvent {
  Type?: string;
  Action?: string;
  status?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number | string;
}

/** The engine's `seconds.nanoseconds` form of a time in epoch nanoseconds. */
function nanoText(nano: bigint): string {
  return `${nano / 1_000_000_000n}.${String(nano % 1_000_000_000n).padStart(9, '0')}`;
}

/** Ends a stream dockerode handed out (its type does not say it is destroyable). */
export function destroyStream(stream: NodeJS.ReadableStream): void {
  if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
}

/** Splits a stream of concatenated JSON objects (one per line, possibly chunked anyhow). */
export function onJsonLines(stream: NodeJS.ReadableStream, each: (value: unknown) => void): void {
  let buffered = '';
  stream.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line !== '') {
        try {
          each(JSON.parse(line));
        } catch {
          // a line that is not JSON: ignored
        }
      }
      nl = buffered.indexOf('\n');
    }
  });
}

export class EngineEvents {
  private stream: NodeJS.ReadableStream | undefined;
  private stopped = false;
  private inGap = false;
  private lastNano: bigint;
  private readonly seenAtLast = new Set<string>();
  private reconnectTimer: NodeJS.Timeout | undefined;

  /** Events from `sinceNano` on (default: now). */
  constructor(
    private readonly options: EngineEventsOptions,
    private readonly handlers: EngineEventHandlers,
    sinceNano = BigInt(Date.now()) * 1_000_000n,
  ) {
    this.lastNano = sinceNano;
  }

  /** Whether the live stream is open. */
  get connected(): boolean {
    return this.stream !== undefined;
  }

  /** The time of the last event delivered (or the start), epoch microseconds. */
  get lastUs(): number {
    return Number(this.lastNano / 1000n);
  }

  /** Opens the live stream; if that fails, lost() and retries, as for a break. Never rejects. */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (e) {
      this.lose(messageOf(e));
    }
  }

  /** Opens the live stream once; rejects if the engine does not answer (no retry then). */
  async open(): Promise<void> {
    const stream = await this.request();
    if (this.stopped) {
      destroyStream(stream);
      return;
    }
    this.stream = stream;
    const replayUntil = this.inGap ? BigInt(Date.now()) * 1_000_000n : 0n;
    onJsonLines(stream, (e) => this.deliver(e as RawEvent, replayUntil));
    const broken = (why: string) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (!this.stopped) this.lose(why);
    };
    stream.on('end', () => broken('the event stream ended (daemon stopped?)'));
    stream.on('close', () => broken('the event stream closed'));
    stream.on('error', (e: Error) => broken(`the event stream failed: ${e.message}`));
    if (this.inGap) {
      this.inGap = false;
      this.handlers.back();
    }
  }

  /**
   * Reads the events from the last one delivered up to now, as a query that ends by itself
   * (within API_TIMEOUT_MS, else it rejects); those already delivered are skipped.
   */
  async catchUp(): Promise<void> {
    const stream = await this.request(BigInt(Date.now()) * 1_000_000n);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        destroyStream(stream);
        reject(new Error(`the events up to the stop did not end within ${API_TIMEOUT_MS} ms`));
      }, API_TIMEOUT_MS);
      const done = (e?: Error) => {
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      onJsonLines(stream, (e) => this.deliver(e as RawEvent, 0n));
      stream.on('end', () => done());
      stream.on('close', () => done());
      stream.on('error', (e: Error) => done(e));
    });
  }

  /** Closes the live stream and stops reconnecting. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const stream = this.stream;
    this.stream = undefined;
    if (stream) destroyStream(stream);
  }

  private lose(why: string): void {
    if (!this.inGap) {
      this.inGap = true;
      this.handlers.lost(why);
    }
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.start(), this.options.reconnectMs ?? RECONNECT_MS);
  }

  /**
   * Asks for the events since the last one, up to `untilNano` (the stream then ends) or for as
   * long as it lives. No abort signal: it would end a live stream. A daemon that accepts the
   * connection but never answers is caught by a timer instead, and a stream that opens after it
   * (the engine was starting) is closed, not leaked.
   */
  private request(untilNano?: bigint): Promise<NodeJS.ReadableStream> {
    const filters: Record<string, string[]> = { type: ['container'] };
    if (this.options.actions) filters.event = [...this.options.actions];
    // Times as the engine's seconds.nanoseconds text, which dockerode 5 passes on (dockerode-v5.ts).
    const docker = this.options.docker;
    if (!isDockerodeV5(docker))
      return Promise.reject(new Error('the Docker client is older than dockerode 5'));
    const opening = docker.getEvents({
      since: nanoText(this.lastNano),
      ...(untilNano === undefined ? {} : { until: nanoText(untilNano) }),
      filters,
    });
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    opening.then(
      (late) => timedOut && destroyStream(late),
      () => undefined,
    );
    return Promise.race([
      opening,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          reject(new Error(`no answer within ${API_TIMEOUT_MS} ms`));
        }, API_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  private deliver(e: RawEvent, replayUntilNano: bigint): void {
    if ((e.Type ?? 'container') !== 'container') return;
    const id = e.Actor?.ID ?? e.id;
    if (!id) return;
    const action = (e.Action ?? e.status ?? '').split(':')[0]!; // e.g. 'exec_start: sh' → exec_start
    const nano = e.timeNano !== undefined ? BigInt(e.timeNano) : BigInt(e.time ?? 0) * 1_000_000_000n;
    // Reconnecting asks for events since the last one: skip the ones already delivered.
    const key = `${id}/${action}`;
    if (nano < this.lastNano || (nano === this.lastNano && this.seenAtLast.has(key))) return;
    if (nano > this.lastNano) {
      this.lastNano = nano;
      this.seenAtLast.clear();
    }
    this.seenAtLast.add(key);
    this.handlers.event({
      id,
      action,
      nano,
      attributes: e.Actor?.Attributes ?? {},
      replayed: nano < replayUntilNano,
    });
  }
}
