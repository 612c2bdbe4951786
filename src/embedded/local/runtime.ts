/**
 * Where the local platform's instances run: the seam between the platform (pool, queue,
 * keep-alive) and an instance's mechanics. The process runtime spawns a child process; the docker
 * runtime starts a container (../docker). Both run the same proxy and fail with InstanceFailure.
 */
import type Dockerode from 'dockerode';
import { FaasloadError } from '../../errors.js';
import type { DockerInstance } from '../docker/instance.js';
import type { ExecutionMemoryPeak } from './execution-peak.js';
import { type ActionAnswer, type ExitInfo, Instance } from './instance.js';
import type { ActivationLogs } from './logs.js';
import { createMemoryLimiter, type MemoryLimiter } from './memory-limit.js';
import type { ResolvedLocalOptions } from './options.js';

/** What the platform needs of an instance, whatever runs it. */
export interface FunctionInstance {
  readonly id: string;
  readonly functionName: string;
  /** The container, for the docker runtime. */
  readonly containerId?: string | undefined;
  readonly pid?: number | undefined;
  readonly alive: boolean;
  /** The action's output, cut into one log per activation. */
  readonly logs: ActivationLogs;
  /** Its memory cgroup's peak, reset per execution, where it has a cgroup of its own. */
  readonly executionPeak?: ExecutionMemoryPeak | undefined;
  /** Settles (never rejects) once the instance is gone, whoever ended it. */
  readonly exited: Promise<ExitInfo>;
  ready(timeoutMs: number, signal: AbortSignal): Promise<void>;
  post(path: string, body: unknown, timeoutMs: number, signal: AbortSignal): Promise<ActionAnswer>;
  kill(graceMs: number): Promise<ExitInfo>;
}

export interface InstanceRuntime {
  readonly kind: 'process' | 'docker';
  /** Once, before the first instance (builds the image, removes a crashed run's leftovers). */
  prepare(signal: AbortSignal): Promise<void>;
  /** Starts launching an instance; ready() says when it can take /init. */
  launch(o: LaunchOptions): FunctionInstance;
  /** Once, after every instance has exited: what is left to clean (containers not yet removed). */
  teardown?(): Promise<void>;
}

export interface LaunchOptions {
  id: string;
  functionName: string;
  /** The instance's memory limit (its function's size class, see memory.ts). */
  memoryLimitMb: number;
  /** Activations it runs at once; default 1. */
  concurrency?: number | undefined;
  /** Log bytes kept per activation. */
  logLimitBytes?: number | undefined;
}

/** LaunchOptions without its undefined fields, so that spreading them keeps the defaults. */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as never;
}

/** How long --runtime docker waits for the engine to answer before it is an error. */
const EXPLICIT_ENGINE_TIMEOUT_MS = 15_000;

export type RuntimeChoice = 'process' | 'docker' | 'auto';
export const RUNTIME_CHOICES: readonly RuntimeChoice[] = ['process', 'docker', 'auto'];

/** Instances as child processes, each held to its memory limit (memory-limit.ts). */
class ProcessRuntime implements InstanceRuntime {
  readonly kind = 'process';
  private limiter: MemoryLimiter | undefined;
  constructor(private readonly o: ResolvedLocalOptions) {}
  async prepare(): Promise<void> {
    const prefer = this.o.processMemoryLimit;
    this.limiter ??= createMemoryLimiter(prefer === 'auto' ? undefined : prefer);
  }
  /** How instances are held to their memory limit, once prepared. */
  get memoryLimit(): MemoryLimiter['kind'] | undefined {
    return this.limiter?.kind;
  }
  launch({ memoryLimitMb, ...o }: LaunchOptions): FunctionInstance {
    const { nodePath, proxyPath, nice } = this.o;
    const memory = this.limiter?.limit(o.id, memoryLimitMb);
    return new Instance({
      ...defined(o),
      nodePath,
      proxyPath,
      nice,
      ...(memory ? { memory, memoryLimitMb } : {}),
    });
  }
  async teardown(): Promise<void> {
    this.limiter?.close();
  }
}

/**
 * The runtime for `choice`: docker needs an engine that answers within 15 s (else an E_PLATFORM
 * error names why it is not usable); auto takes docker when an engine answers within a second,
 * else process. The docker module (and dockerode) is loaded only when an engine is wanted.
 */
export async function createRuntime(
  choice: RuntimeChoice,
  o: ResolvedLocalOptions,
): Promise<InstanceRuntime> {
  if (choice === 'process') return new ProcessRuntime(o);
  const docker = await import('../docker/index.js');
  const client = docker.connectDocker();
  // auto decides within a second; an engine asked for by name is given longer (a busy one, e.g.
  // creating many containers on vfs, has been seen to take seconds to answer /info).
  const engine = await docker.detectEngine(
    client,
    choice === 'docker' ? EXPLICIT_ENGINE_TIMEOUT_MS : undefined,
  );
  if (!engine.available) {
    if (choice === 'auto') return new ProcessRuntime(o);
    throw new FaasloadError('E_PLATFORM', `--runtime docker: no Docker engine answers (${engine.reason})`);
  }
  let image: string | undefined;
  let sharedFiles: { host: string; container: string }[] = [];
  const leftovers = new Leftovers(client);
  return {
    kind: 'docker',
    async prepare(signal: AbortSignal) {
      await docker.removeInstances(client, {});
      image = (
        await docker.ensureRuntimeImage(client, { nodePath: o.nodePath, proxyPath: o.proxyPath, signal })
      ).tag;
      // The engine answers on this host (instances listen on its 127.0.0.1): containers map the
      // host's node, cached once for all of them.
      sharedFiles = await docker.sharedHostFiles(o.nodePath);
    },
    launch({ memoryLimitMb, ...o }) {
      if (image === undefined) throw new Error('the docker runtime was not prepared');
      const instance = new docker.DockerInstance({
        ...defined(o),
        docker: client,
        image,
        memoryMb: memoryLimitMb,
        sharedFiles,
      });
      leftovers.watch(instance);
      return instance;
    },
    teardown: () => leftovers.sweep(),
  };
}

/**
 * Containers of this runtime's instances whose removal failed, typically because the engine did
 * not answer (dockerd stopped: it stops the containers, and they stay, stopped, when it comes
 * back). They are removed again at the next launch (the engine answers again, most likely) and at
 * teardown. A container the engine no longer knows (404) is done with; a failure keeps it for the
 * next attempt (and a crashed run's are removeInstances()'s at the next prepare).
 */
class Leftovers {
  private readonly ids = new Set<string>();
  private sweeping: Promise<void> | undefined;

  constructor(private readonly client: Dockerode) {}

  watch(instance: DockerInstance): void {
    if (this.ids.size > 0) void this.sweep();
    void instance.exited.then((info) => {
      if (info.removeError && instance.containerId !== undefined) this.ids.add(instance.containerId);
    });
  }

  /** One attempt at each; resolves (never rejects) when done. Concurrent calls share it. */
  sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      for (const id of [...this.ids]) {
        try {
          await this.client.getContainer(id).remove({
            force: true,
            v: true,
            abortSignal: AbortSignal.timeout(LEFTOVER_REMOVE_TIMEOUT_MS),
          } as Dockerode.ContainerRemoveOptions);
          this.ids.delete(id);
        } catch (e) {
          if ((e as { statusCode?: unknown }).statusCode === 404) this.ids.delete(id);
        }
      }
    })().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }
}

/** Time limit of each leftover's removal. */
const LEFTOVER_REMOVE_TIMEOUT_MS = 10_000;
