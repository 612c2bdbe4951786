/**
 * One function instance of the local platform: a child process running faasload's runtime proxy
 * (src/embedded/runtime/proxy.ts), reached over HTTP on 127.0.0.1 through an undici Pool.
 *
 * Lifecycle: the constructor spawns; ready() waits for the proxy's `{"port":N}` line; post()
 * sends /init and /run; kill() ends it. `exited` settles once the process is gone, whoever ended
 * it. Methods throw InstanceFailure; non-2xx answers are not failures but data (ActionAnswer).
 * post() may run as many requests at once as the instance's concurrency (one by default).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { Pool } from 'undici';
import { messageOf } from '../../util/message.js';
import type { ExecutionMemoryPeak } from './execution-peak.js';
import { ActivationLogs, withoutSentinels } from './logs.js';
import type { InstanceMemoryLimit } from './memory-limit.js';

/** oom: the instance was killed for exceeding its memory limit (its message says so plainly). */
export type FailureKind = 'start' | 'exited' | 'oom' | 'timeout' | 'aborted' | 'transport';

/** Why an instance operation failed. `kind` lets the platform choose the outcome. */
export class InstanceFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InstanceFailure';
    this.kind = kind;
  }
}

/** How the process ended; `error` when it could not be spawned at all (then code and signal are null). */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
  /** Killed for exceeding its memory limit (the kernel's OOM killer, or the RSS watchdog). */
  oomKilled?: boolean;
}

/** The plain message of an OOM kill, the same for every runtime (no log lines, no exit codes). */
export function outOfMemoryMessage(limitMb: number | undefined): string {
  const limit = limitMb === undefined ? 'its memory limit' : `its memory limit of ${limitMb} MB`;
  return `out of memory: the function exceeded ${limit} and its instance was killed`;
}

export interface InstanceOptions {
  /** Unique among the platform's instances, e.g. `${functionName}-${counter}`. */
  id: string;
  functionName: string;
  nodePath: string;
  proxyPath: string;
  /** Niceness of the process (0 = as the harness, 19 = lowest priority). */
  nice?: number;
  /** Activations it may run at once (the action's concurrency limit); default 1. */
  concurrency?: number;
  /** Log bytes kept per activation; default OpenWhisk's 10 MB. */
  logLimitBytes?: number;
  /** Holds the process to its memory limit (memoryLimitMb); default: no limit. */
  memory?: InstanceMemoryLimit;
  memoryLimitMb?: number;
}

/** An answer from the proxy: the HTTP status and the body parsed as JSON (undefined if it was not JSON). */
export interface ActionAnswer {
  status: number;
  body: unknown;
}

/** How much of the child's stderr is kept for error messages. */
const STDERR_TAIL_CHARS = 2048;
/** After a failed request, how long to wait for the process exit that may explain it. */
const EXIT_SETTLE_MS = 200;

/**
 * A client of a proxy on 127.0.0.1: one connection per activation it may run at once (the
 * action's concurrency); the platform enforces time limits.
 */
export function proxyClient(port: number, connections = 1): Pool {
  return new Pool(`http://127.0.0.1:${port}`, {
    connections,
    pipelining: 1,
    headersTimeout: 0,
    bodyTimeout: 0,
    keepAliveTimeout: 30_000,
  });
}

/** POSTs `payload` as JSON to the proxy and reads its answer (a body that is not JSON is undefined). */
export async function postJson(
  client: Pool,
  path: string,
  payload: unknown,
  signal: AbortSignal,
): Promise<ActionAnswer> {
  const response = await client.request({
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
    signal,
  });
  const text = await response.body.text();
  try {
    return { status: response.statusCode, body: JSON.parse(text) };
  } catch {
    return { status: response.statusCode, body: undefined };
  }
}

/**
 * POSTs to a proxy within timeoutMs and `signal`, racing `ended` (which rejects with the
 * instance's failure if it stops first). Throws InstanceFailure: 'timeout', 'aborted', the
 * failure `settle()` finds after a transport error (the instance ended meanwhile), else
 * 'transport'.
 */
export async function postWithin(
  client: Pool,
  path: string,
  payload: unknown,
  timeoutMs: number,
  signal: AbortSignal,
  ended: Promise<never>,
  settle: () => Promise<InstanceFailure | undefined>,
): Promise<ActionAnswer> {
  const controller = new AbortController();
  let why: 'timeout' | 'aborted' | undefined;
  const stop = (reason: 'timeout' | 'aborted') => {
    why ??= reason;
    controller.abort();
  };
  const onAbort = () => stop('aborted');
  const timer = setTimeout(() => stop('timeout'), timeoutMs);
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  try {
    return await Promise.race([postJson(client, path, payload, controller.signal), ended]);
  } catch (e) {
    if (e instanceof InstanceFailure) throw e;
    if (why === 'timeout')
      throw new InstanceFailure('timeout', `POST ${path}: no answer within ${timeoutMs} ms`);
    if (why === 'aborted') throw new InstanceFailure('aborted', 'aborted', { cause: signal.reason });
    const failure = await settle();
    if (failure) throw failure;
    throw new InstanceFailure('transport', `POST ${path}: ${messageOf(e)}`, { cause: e });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/** What postToInstance needs of an instance, process or container; `Info` is how it ended. */
export interface PostTarget<Info> {
  client: Pool | undefined;
  /** How the instance ended, if it has (read when needed). */
  ended(): Info | undefined;
  /** Told of the end when it comes; postToInstance adds and removes its own. */
  endListeners: Set<(info: Info) => void>;
  failure(path: string, info: Info): InstanceFailure;
  /** After a dropped connection, how long to wait for the end that usually follows. */
  settleMs: number;
}

/**
 * POSTs a JSON body to an instance's proxy and reads the whole answer (Instance.post and
 * DockerInstance.post). Throws 'timeout' past timeoutMs, 'aborted' on signal, the instance's
 * failure (exited, oom) if it ends first or right after a dropped connection, else 'transport'.
 * After any of these the caller discards the instance.
 */
export async function postToInstance<Info>(
  target: PostTarget<Info>,
  path: '/init' | '/run',
  payload: unknown,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ActionAnswer> {
  const { client } = target;
  if (!client) throw new InstanceFailure('transport', `POST ${path}: the instance is not ready`);
  const already = target.ended();
  if (already !== undefined) throw target.failure(path, already);
  let listener: ((info: Info) => void) | undefined;
  const endInfo = new Promise<Info>((resolve) => {
    listener = resolve;
    target.endListeners.add(resolve);
  });
  const endedFirst = endInfo.then((info): never => {
    throw target.failure(path, info);
  });
  endedFirst.catch(() => undefined); // an end after the answer is nobody's failure
  try {
    // A dropped connection is most often the instance dying (e.g. OOM): report the end if it follows.
    return await postWithin(client, path, payload, timeoutMs, signal, endedFirst, async () => {
      const info = target.ended() ?? (await Promise.race([endInfo, delay(target.settleMs)]));
      return info === undefined ? undefined : target.failure(path, info);
    });
  } finally {
    if (listener) target.endListeners.delete(listener);
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be spawned: ${info.error.message}`;
  return info.signal !== null ? `killed by ${info.signal}` : `exited with code ${info.code}`;
}

export class Instance {
  readonly id: string;
  readonly functionName: string;
  /** Undefined when the process could not be spawned. */
  readonly pid: number | undefined;
  /** Settles (never rejects) once the process has exited or failed to spawn. */
  readonly exited: Promise<ExitInfo>;

  private readonly child: ChildProcess;
  private exitInfo: ExitInfo | undefined;
  private readonly exitListeners = new Set<(info: ExitInfo) => void>();
  /** The action's output, one log per activation. */
  readonly logs: ActivationLogs;
  private readonly concurrency: number;
  private client: Pool | undefined;
  private stderrTail = '';
  private killing = false;
  private readonly memoryLimitMb: number | undefined;
  readonly executionPeak: ExecutionMemoryPeak | undefined;

  constructor(options: InstanceOptions) {
    this.id = options.id;
    this.functionName = options.functionName;
    this.concurrency = options.concurrency ?? 1;
    this.logs = new ActivationLogs(options.logLimitBytes);
    // stdin is the proxy's lifeline: it exits when this end closes, so it never outlives us.
    // The children get an empty environment apart from PATH: the action's env comes from /init.
    const memory = options.memory;
    this.memoryLimitMb = memory ? options.memoryLimitMb : undefined;
    this.executionPeak = memory?.peak;
    const command = { command: options.nodePath, args: [options.proxyPath, '--port', '0'] };
    const { command: file, args } = memory ? memory.wrap(command.command, command.args) : command;
    this.child = spawn(file, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: process.env.PATH === undefined ? {} : { PATH: process.env.PATH },
    });
    this.pid = this.child.pid;
    if (this.pid !== undefined) memory?.attach(this.pid, () => this.child.kill('SIGKILL'));
    // Instances yield the CPU to the harness: when the platform shares the load generator's
    // machine, the dispatcher's timers must not queue behind busy functions. All instances get
    // the same niceness, so they compete among themselves as before.
    if (this.pid !== undefined && options.nice) {
      try {
        setPriority(this.pid, options.nice);
      } catch {
        // Not allowed here (e.g. a restricted container): instances keep the default priority.
      }
    }
    this.exited = new Promise((resolve) => {
      const done = (info: ExitInfo) => {
        if (this.exitInfo) return;
        this.exitInfo = info;
        this.client?.destroy().catch(() => undefined);
        for (const listener of this.exitListeners) listener(info);
        this.exitListeners.clear();
        resolve(info);
      };
      this.child.once('exit', (code, signal) => {
        const oomKilled = signal === 'SIGKILL' && memory?.oomKilled() === true;
        memory?.release();
        done(oomKilled ? { code, signal, oomKilled } : { code, signal });
      });
      // A spawn failure emits 'error' and no 'exit'; later 'error's (a failed kill) change nothing.
      this.child.on('error', (error) => {
        if (this.child.pid === undefined) {
          memory?.release();
          done({ code: null, signal: null, error });
        }
      });
    });
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      this.logs.feed('stderr', chunk);
    });
  }

  get alive(): boolean {
    return this.exitInfo === undefined;
  }

  /** The end of the child's stderr, for error messages ('' if it wrote nothing), sentinels left out. */
  get stderr(): string {
    return withoutSentinels(this.stderrTail).trim();
  }

  /**
   * Waits for the proxy's `{"port":N}` line and connects a client to it. Throws 'start' if the
   * line does not come within timeoutMs or the process exits first, 'aborted' on signal. The
   * caller kills the instance after a failure.
   */
  async ready(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const port = await this.waitForPort(timeoutMs, signal);
    this.client = proxyClient(port, this.concurrency);
    if (!this.alive) this.client.destroy().catch(() => undefined);
  }

  private waitForPort(timeoutMs: number, signal: AbortSignal): Promise<number> {
    const stdout = this.child.stdout;
    return new Promise((resolve, reject) => {
      let line = '';
      let settled = false;
      const finish = (error: InstanceFailure | undefined, port?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.exitListeners.delete(onExit);
        stdout?.off('data', onData);
        if (error) reject(error);
        else {
          // Keep draining (the action's output must not fill the pipe) into the activation logs.
          this.logs.feed('stdout', line.slice(line.indexOf('\n') + 1));
          stdout?.on('data', (chunk: string) => this.logs.feed('stdout', chunk));
          resolve(port!);
        }
      };
      const onData = (chunk: string) => {
        line += chunk;
        const end = line.indexOf('\n');
        if (end < 0) {
          if (line.length > 1024) finish(new InstanceFailure('start', 'the proxy printed no port line'));
          return;
        }
        let port: unknown;
        try {
          port = (JSON.parse(line.slice(0, end)) as { port?: unknown }).port;
        } catch {
          port = undefined;
        }
        if (typeof port === 'number' && Number.isInteger(port) && port > 0) {
          finish(undefined, port);
        } else {
          const text = line.slice(0, end);
          finish(new InstanceFailure('start', `the proxy's first line is not {"port":N}: ${text}`));
        }
      };
      const onExit = (info: ExitInfo) => {
        const stderr = this.stderr;
        finish(
          new InstanceFailure(
            'start',
            `the instance ${describeExit(info)} before it was ready${stderr ? `: ${lastLines(stderr)}` : ''}`,
          ),
        );
      };
      const onAbort = () => finish(new InstanceFailure('aborted', 'aborted', { cause: signal.reason }));
      const timer = setTimeout(
        () => finish(new InstanceFailure('start', `the proxy was not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
      stdout?.setEncoding('utf8');
      stdout?.on('data', onData);
      signal.addEventListener('abort', onAbort, { once: true });
      if (this.exitInfo) onExit(this.exitInfo);
      else this.exitListeners.add(onExit);
      if (signal.aborted) onAbort();
    });
  }

  /**
   * POSTs a JSON body to the proxy and reads the whole answer. Throws 'timeout' past timeoutMs,
   * 'aborted' on signal, 'exited' if the process ends first, 'transport' for other I/O failures.
   * After any of these the instance's state is unknown: the caller discards it.
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
        endListeners: this.exitListeners,
        failure: (p, info) => this.exitFailure(p, info),
        settleMs: EXIT_SETTLE_MS,
      },
      path,
      payload,
      timeoutMs,
      signal,
    );
  }

  private exitFailure(path: string, info: ExitInfo): InstanceFailure {
    if (info.oomKilled) return new InstanceFailure('oom', outOfMemoryMessage(this.memoryLimitMb));
    const stderr = this.stderr;
    return new InstanceFailure(
      'exited',
      `POST ${path}: the instance ${describeExit(info)}${stderr ? `: ${lastLines(stderr)}` : ''}`,
    );
  }

  /**
   * Ends the process: SIGTERM, then SIGKILL if it is still there after graceMs. Resolves once it
   * has exited. Safe to call any number of times.
   */
  kill(graceMs: number): Promise<ExitInfo> {
    if (this.exitInfo === undefined && !this.killing) {
      this.killing = true;
      this.client?.destroy().catch(() => undefined);
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      void this.exited.then(() => clearTimeout(timer));
    }
    return this.exited;
  }
}

function lastLines(text: string, maxChars = 400): string {
  return text.length <= maxChars ? text : `...${text.slice(-maxChars)}`;
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(resolve, ms, undefined));
}
