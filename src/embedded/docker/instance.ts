/**
 * One function instance as a Docker container running faasload's runtime proxy (the image of
 * ./image.ts), reached over HTTP on 127.0.0.1 through an undici Pool. Same surface as the
 * process Instance (../local/instance.ts): id, functionName, ready(), post(), kill(), exited,
 * failures as InstanceFailure; plus containerId and per-phase timings.
 *
 * Lifecycle: the constructor starts the launch (create → attach → start, no waiting); ready()
 * waits for it and for the proxy's `{"port":N}` line; post() sends /init and /run; kill() removes
 * the container (force: SIGKILL, then delete). Callers lease an instance to one caller at a time.
 *
 * The port: the proxy binds port 0 on 127.0.0.1 in the host's network namespace (NetworkMode
 * host) and the kernel picks a free port; its `{"port":N}` line is read from the container's
 * attach stream, attached before start so the line cannot be missed. Chosen over passing a port
 * picked on the host because that one can be taken between the pick and the proxy's bind (by
 * another instance starting at the same moment, or any process): here the bind is atomic, the
 * contract is the process instance's, and the same stream gives the stderr tail for errors.
 * Cost: one engine connection per live instance (the attach stream, kept and drained).
 *
 * Exit: the attach stream ends when the container stops; the container is then inspected (exit
 * code, OOMKilled) and removed. The engine's AutoRemove is off on purpose: it could delete the
 * container before its state is read. `exited` settles once the container has stopped and been
 * removed, whoever ended it, so awaiting it leaves no container behind.
 *
 * Limits: a crash of this process leaves its containers running: engine.ts removeInstances()
 * cleans them by label. An Engine API call that times out (apiTimeoutMs) may still complete in the
 * engine; a container created that way is labelled and found by the same cleanup.
 */
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import type Dockerode from 'dockerode';
import type { Pool } from 'undici';
import { messageOf } from '../../util/message.js';
import {
  type ActionAnswer,
  type ExitInfo,
  InstanceFailure,
  outOfMemoryMessage,
  postToInstance,
  proxyClient,
} from '../local/instance.js';
import { ActivationLogs, withoutSentinels } from '../local/logs.js';
import { StreamDemux } from './demux.js';
import {
  FUNCTION_LABEL,
  INSTANCE_ID_LABEL,
  INSTANCE_LABEL_VALUE,
  KIND_LABEL,
  OWNER_LABEL,
} from './labels.js';

export interface DockerInstanceOptions {
  /** Unique among the platform's instances, e.g. `${functionName}-${counter}`. */
  id: string;
  functionName: string;
  docker: Dockerode;
  /** The runtime image (RuntimeImage.tag or .id); its entrypoint must be the proxy (see image.ts). */
  image: string;
  /** Hard memory limit in MiB (memory and swap alike, so no swapping past it). Default: none. */
  memoryMb?: number;
  /** CPU quota in billionths of a CPU (1e9 = one core). Default: none. */
  nanoCpus?: number;
  /** Relative CPU weight (the engine's default is 1024). Default: the engine's. */
  cpuShares?: number;
  /** The proxy's user in the container. Default '65534:65534' (nobody): it needs no privilege. */
  user?: string;
  /** Time limit of each Engine API call made for this instance (create, start, inspect, remove). Default 30 000. */
  apiTimeoutMs?: number;
  /** Activations it may run at once (the action's concurrency limit); default 1. */
  concurrency?: number;
  /** Log bytes kept per activation; default OpenWhisk's 10 MB. */
  logLimitBytes?: number;
  /**
   * Host files mounted read-only over the image's copies of them (e.g. the node binary, see
   * image.ts sharedHostFiles): every container then maps the same file, whose pages the host
   * caches once, where vfs storage gives each container its own copy, cached once per container.
   * The engine must run on this host. Default: none.
   */
  sharedFiles?: readonly { host: string; container: string }[];
}

/** How the container ended. `code` is the process's exit code (137 = SIGKILL, then `signal` says so). */
export interface DockerExitInfo extends ExitInfo {
  /** The kernel's OOM killer ended it: the memory limit was exceeded. */
  oomKilled: boolean;
  /** Removing the container failed (it may still exist; removeInstances() cleans it). */
  removeError?: Error;
  /**
   * It stopped (its attach stream ended) but its state could not be read: the engine went away
   * (e.g. dockerd stopped, which stops every container) or someone else removed it.
   */
  stateError?: Error;
}

/**
 * Milliseconds per phase, each from the end of the previous one; undefined until it has ended.
 * create + attach + start + ready = launch to ready; a cold start adds the caller's /init.
 */
export interface DockerInstanceTimings {
  /** POST /containers/create (vfs copies the image's files here). */
  createMs?: number;
  /** POST /containers/{id}/attach, until the stream is open. */
  attachMs?: number;
  /** POST /containers/{id}/start (runtime setup and exec). */
  startMs?: number;
  /** From the end of start to the proxy's port line (node's boot and listen); 0 if the line came first. */
  readyMs?: number;
  /** From the constructor to the port line. */
  totalMs?: number;
}

const STDERR_TAIL_CHARS = 2048;
/** After a failed request, how long to wait for the container stop that may explain it (stream end + inspect). */
const STOP_SETTLE_MS = 1_000;
const DEFAULT_API_TIMEOUT_MS = 30_000;
/** While a removal is in progress elsewhere (409), how often and how long to check for it. */
const REMOVE_POLL_MS = 100;
const REMOVE_POLLS = 100;

function statusOf(e: unknown): unknown {
  return (e as { statusCode?: unknown }).statusCode;
}

/** Socket errors of an engine that is not there (stopped, restarting) rather than refusing a request. */
const ENGINE_GONE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);

/** An Engine API failure's message, saying so when the engine itself does not answer. */
export function engineMessage(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && ENGINE_GONE_CODES.has(code)
    ? `the Docker engine does not answer (${messageOf(e)})`
    : messageOf(e);
}

/** 137 → SIGKILL: shells and the engine report death by signal N as 128 + N. */
function signalOf(code: number | null): NodeJS.Signals | null {
  if (code === null || code <= 128) return null;
  const entry = Object.entries(constants.signals).find(([, n]) => n === code - 128);
  return entry ? (entry[0] as NodeJS.Signals) : null;
}

export function describeDockerExit(info: DockerExitInfo): string {
  if (info.error) return `could not be started: ${info.error.message}`;
  if (info.stateError) return `stopped (its exit status is unknown: ${info.stateError.message})`;
  if (info.oomKilled)
    return `was killed by the OOM killer (exit code ${info.code}): it exceeded its memory limit`;
  if (info.signal !== null) return `was killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

export class DockerInstance {
  readonly id: string;
  readonly functionName: string;
  /** Settles (never rejects) once the container has stopped and been removed, or could not be created. */
  readonly exited: Promise<DockerExitInfo>;

  private readonly docker: Dockerode;
  private readonly apiTimeoutMs: number;
  private readonly memoryMb: number | undefined;
  private container: Dockerode.Container | undefined;
  /** create + attach + start; rejects with an InstanceFailure. */
  private readonly launched: Promise<void>;
  private resolveExited!: (info: DockerExitInfo) => void;
  /** Set when the container has stopped (before its removal). */
  private exitInfo: DockerExitInfo | undefined;
  private readonly stopListeners = new Set<(info: DockerExitInfo) => void>();
  private port: number | undefined;
  private portError: InstanceFailure | undefined;
  private readonly portListeners = new Set<() => void>();
  private stdoutLine = '';
  private stderrTail = '';
  private client: Pool | undefined;
  private readonly concurrency: number;
  /** The action's output, one log per activation. */
  readonly logs: ActivationLogs;
  private started = false;
  private streamEnded = false;
  private detecting: Promise<void> | undefined;
  /** kill() is deleting the container: its stream's end is expected, not an exit to inspect. */
  private removing = false;
  private killing: Promise<DockerExitInfo> | undefined;
  private readonly marks: {
    t0: number;
    created?: number;
    attached?: number;
    started?: number;
    port?: number;
  };

  constructor(options: DockerInstanceOptions) {
    this.id = options.id;
    this.functionName = options.functionName;
    this.docker = options.docker;
    this.apiTimeoutMs = options.apiTimeoutMs ?? DEFAULT_API_TIMEOUT_MS;
    this.memoryMb = options.memoryMb;
    this.concurrency = options.concurrency ?? 1;
    this.logs = new ActivationLogs(options.logLimitBytes);
    this.marks = { t0: performance.now() };
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
    this.launched = this.launch(options);
    this.launched.catch(() => undefined);
  }

  /** The engine's container id; undefined until create has answered (or if it failed). */
  get containerId(): string | undefined {
    return this.container?.id;
  }

  /** False once the container has stopped (or never started). */
  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** The end of the container's stderr, for error messages ('' if it wrote nothing), sentinels left out. */
  get stderr(): string {
    return withoutSentinels(this.stderrTail).trim();
  }

  get timings(): DockerInstanceTimings {
    const m = this.marks;
    const t: DockerInstanceTimings = {};
    if (m.created !== undefined) t.createMs = m.created - m.t0;
    if (m.attached !== undefined && m.created !== undefined) t.attachMs = m.attached - m.created;
    if (m.started !== undefined && m.attached !== undefined) t.startMs = m.started - m.attached;
    if (m.port !== undefined && m.started !== undefined) t.readyMs = Math.max(0, m.port - m.started);
    if (m.port !== undefined) t.totalMs = m.port - m.t0;
    return t;
  }

  private api(): { abortSignal: AbortSignal } {
    return { abortSignal: AbortSignal.timeout(this.apiTimeoutMs) };
  }

  private async launch(options: DockerInstanceOptions): Promise<void> {
    const memory = options.memoryMb === undefined ? undefined : Math.round(options.memoryMb * 1024 * 1024);
    let step = 'create';
    try {
      const container = await this.docker.createContainer({
        Image: options.image,
        Labels: {
          [KIND_LABEL]: INSTANCE_LABEL_VALUE,
          [FUNCTION_LABEL]: options.functionName,
          [INSTANCE_ID_LABEL]: options.id,
          [OWNER_LABEL]: String(process.pid),
        },
        User: options.user ?? '65534:65534',
        Env: [], // the action's env comes from /init
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        OpenStdin: false,
        Tty: false,
        HostConfig: {
          NetworkMode: 'host',
          AutoRemove: false,
          ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
          ...(options.nanoCpus === undefined ? {} : { NanoCpus: options.nanoCpus }),
          ...(options.cpuShares === undefined ? {} : { CpuShares: options.cpuShares }),
          ...(options.sharedFiles?.length
            ? { Binds: options.sharedFiles.map((f) => `${f.host}:${f.container}:ro`) }
            : {}),
        },
        ...this.api(),
      });
      this.container = container;
      this.marks.created = performance.now();
      if (this.killing) throw new InstanceFailure('aborted', 'the instance was killed while it started');
      step = 'attach';
      // No abort signal: it would end the stream, which lives as long as the container.
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      this.marks.attached = performance.now();
      this.watch(stream);
      if (this.killing) throw new InstanceFailure('aborted', 'the instance was killed while it started');
      step = 'start';
      await container.start(this.api());
      this.marks.started = performance.now();
      this.started = true;
      if (this.streamEnded) this.detectExit();
    } catch (e) {
      const failure =
        e instanceof InstanceFailure
          ? e
          : new InstanceFailure('start', `docker ${step}: ${engineMessage(e)}`, { cause: e });
      this.stopped({ code: null, signal: null, oomKilled: false, error: failure });
      void this.kill(); // removes what was created, and settles `exited`
      throw failure;
    }
  }

  /** Drains the attach stream for the instance's whole life: port line, stderr tail, end. */
  private watch(stream: NodeJS.ReadableStream): void {
    const demux = new StreamDemux(
      (data) => this.onStdout(data),
      (data) => {
        const text = data.toString('utf8');
        this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL_CHARS);
        this.logs.feed('stderr', text);
      },
    );
    stream.on('data', (chunk: Buffer) => demux.push(chunk));
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      this.streamEnded = true;
      if (this.started) this.detectExit();
    };
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onEnd);
  }

  /** The first line is the proxy's `{"port":N}`; what follows is the action's, into the logs. */
  private onStdout(data: Buffer): void {
    if (this.port !== undefined || this.portError) {
      this.logs.feed('stdout', data.toString('utf8'));
      return;
    }
    this.stdoutLine += data.toString('utf8');
    const end = this.stdoutLine.indexOf('\n');
    if (end < 0) {
      if (this.stdoutLine.length > 1024) this.setPort(undefined, 'the proxy printed no port line');
      return;
    }
    const text = this.stdoutLine.slice(0, end);
    let port: unknown;
    try {
      port = (JSON.parse(text) as { port?: unknown }).port;
    } catch {
      port = undefined;
    }
    const rest = this.stdoutLine.slice(end + 1);
    if (typeof port === 'number' && Number.isInteger(port) && port > 0) {
      this.setPort(port);
      if (rest !== '') this.logs.feed('stdout', rest);
    } else this.setPort(undefined, `the proxy's first line is not {"port":N}: ${text}`);
  }

  private setPort(port: number | undefined, error?: string): void {
    this.stdoutLine = '';
    if (port !== undefined) {
      this.port = port;
      this.marks.port = performance.now();
    } else {
      this.portError = new InstanceFailure('start', error ?? 'no port');
    }
    for (const listener of this.portListeners) listener();
  }

  /** The stream ended: read the container's state; wait for the stop if it still runs; then remove it. */
  private detectExit(): void {
    if (this.detecting || this.exitInfo || this.removing) return;
    this.detecting = (async () => {
      const container = this.container!;
      for (let attempt = 0; attempt < 2 && !this.exitInfo; attempt++) {
        try {
          const { State: s } = await container.inspect(this.api());
          if (!s.Running && s.Status !== 'created') {
            this.stopped({ code: s.ExitCode, signal: signalOf(s.ExitCode), oomKilled: s.OOMKilled === true });
            break;
          }
          // The stream broke but the container runs on (an engine hiccup): wait for its stop.
          await container.wait({ condition: 'not-running' });
        } catch (e) {
          const gone = statusOf(e) === 404;
          const stateError = new Error(gone ? 'the container was removed by someone else' : engineMessage(e));
          this.stopped({ code: null, signal: null, oomKilled: false, stateError });
        }
      }
      if (!this.exitInfo) {
        this.stopped({ code: null, signal: null, oomKilled: false, stateError: new Error('state unknown') });
      }
    })();
    void this.detecting.then(() => this.kill());
  }

  /** Records the stop (first call wins) and tells whoever waits. */
  private stopped(info: DockerExitInfo): void {
    if (this.exitInfo) return;
    this.exitInfo = info;
    this.client?.destroy().catch(() => undefined);
    for (const listener of this.stopListeners) listener(info);
    this.stopListeners.clear();
    for (const listener of this.portListeners) listener();
  }

  /**
   * Waits for the launch and the proxy's `{"port":N}` line, then connects a client to it. Throws
   * 'start' if that does not happen within timeoutMs or the container stops first, 'aborted' on
   * signal. The caller kills the instance after a failure.
   */
  async ready(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const port = await this.waitForPort(timeoutMs, signal);
    this.client = proxyClient(port, this.concurrency);
    if (!this.alive) this.client.destroy().catch(() => undefined);
  }

  private waitForPort(timeoutMs: number, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: InstanceFailure | undefined) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.portListeners.delete(check);
        if (error) reject(error);
        else resolve(this.port!);
      };
      const check = () => {
        if (this.port !== undefined && this.alive) finish(undefined);
        else if (this.portError) finish(this.portError);
        else if (this.exitInfo) {
          const info = this.exitInfo;
          if (info.error instanceof InstanceFailure) return finish(info.error);
          const stderr = this.stderr;
          finish(
            new InstanceFailure(
              'start',
              `the container ${describeDockerExit(info)} before it was ready${stderr ? `: ${lastLines(stderr)}` : ''}`,
            ),
          );
        }
      };
      const onAbort = () => finish(new InstanceFailure('aborted', 'aborted', { cause: signal.reason }));
      const timer = setTimeout(() => {
        const phase = this.marks.started === undefined ? 'started' : 'ready';
        finish(new InstanceFailure('start', `the container was not ${phase} within ${timeoutMs} ms`));
      }, timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.portListeners.add(check);
      this.launched.catch((e: unknown) =>
        finish(e instanceof InstanceFailure ? e : new InstanceFailure('start', messageOf(e))),
      );
      if (signal.aborted) onAbort();
      else check();
    });
  }

  /**
   * POSTs a JSON body to the proxy and reads the whole answer. Throws 'timeout' past timeoutMs,
   * 'aborted' on signal, 'exited' if the container stops first (an OOM kill says so),
   * 'transport' for other I/O failures. After any of these the caller discards the instance.
   */
  async post(
    path: '/init' | '/run',
    payload: unknown,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<ActionAnswer> {
    return postToInstance(
      {
        client: this.client,
        ended: () => this.exitInfo,
        endListeners: this.stopListeners,
        failure: (p, info) => this.exitFailure(p, info),
        settleMs: STOP_SETTLE_MS,
      },
      path,
      payload,
      timeoutMs,
      signal,
    );
  }

  private exitFailure(path: string, info: DockerExitInfo): InstanceFailure {
    if (info.oomKilled) return new InstanceFailure('oom', outOfMemoryMessage(this.memoryMb));
    const stderr = this.stderr;
    return new InstanceFailure(
      'exited',
      `POST ${path}: the container ${describeDockerExit(info)}${stderr ? `: ${lastLines(stderr)}` : ''}`,
    );
  }

  /**
   * Removes the container (force: SIGKILL, then delete) and resolves once it is gone, with how it
   * ended. Waits for a create in flight to answer first (the container exists only then). Safe to
   * call any number of times, at any point. `_graceMs` is accepted for the process Instance's
   * signature and ignored: the proxy holds nothing worth a graceful stop.
   */
  kill(_graceMs?: number): Promise<DockerExitInfo> {
    this.killing ??= this.remove();
    return this.killing;
  }

  private async remove(): Promise<DockerExitInfo> {
    this.client?.destroy().catch(() => undefined);
    await this.launched.catch(() => undefined);
    // A container that stopped by itself: keep the state the engine reports (OOMKilled) first.
    if (this.streamEnded && this.started) {
      this.detectExit();
      await this.detecting;
    }
    this.removing = true;
    let removeError: Error | undefined;
    if (this.container) removeError = await this.removeContainer(this.container);
    this.stopped({ code: null, signal: 'SIGKILL', oomKilled: false });
    const info: DockerExitInfo = removeError ? { ...this.exitInfo!, removeError } : this.exitInfo!;
    this.resolveExited(info);
    return info;
  }

  /** DELETE ?force=true; 404 means gone already; 409 (a removal in progress) is waited for. */
  private async removeContainer(container: Dockerode.Container): Promise<Error | undefined> {
    for (let poll = 0; ; poll++) {
      try {
        await container.remove({ force: true, v: true, ...this.api() });
        return undefined;
      } catch (e) {
        const status = statusOf(e);
        if (status === 404) return undefined;
        if (status !== 409 || poll >= REMOVE_POLLS) return new Error(`docker rm: ${engineMessage(e)}`);
      }
      await delay(REMOVE_POLL_MS);
    }
  }
}

function lastLines(text: string, maxChars = 400): string {
  return text.length <= maxChars ? text : `...${text.slice(-maxChars)}`;
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(resolve, ms, undefined));
}
