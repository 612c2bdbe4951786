/**
 * The Knative Serving platform: each invocation is a POST to the cluster's ingress with the
 * Service's host name (Host: {name}.{namespace}.{domain}), the way Knative routes external
 * traffic; the answer's revision and pod headers, when the function or a proxy sets them, become
 * the row's instance id (the pod, else the revision).
 *
 * - deploy: with manifestsDir, writes one Service manifest per function (manifest.ts) there; with
 *   apply, runs `kubectl apply -f DIR` (kubectl must be found: else E_PLATFORM saying so).
 *   Without manifestsDir nothing is deployed: the Services are expected to exist.
 * - invoke: POST {ingress}{path} with {...params, seq, durationMs, memoryMb} as JSON. 2xx is 'ok';
 *   404 (no such Service at the ingress), 429, 5xx are 'error' with the status and the body's
 *   start; no answer in invokeTimeoutMs is 'timeout'. Knative reports no wait/init/exec times.
 * - teardown: `kubectl delete -f DIR --ignore-not-found` if deploy applied; never throws (a
 *   failure becomes a notice); the pool closes.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pool } from 'undici';
import { FaasloadError } from '../../errors.js';
import type { Arrival } from '../../schedule/types.js';
import { errnoCodeOf, messageOf } from '../../util/message.js';
import { epochUs } from '../../util/time.js';
import { VERSION } from '../../version.js';
import type { Deployable } from '../capabilities.js';
import { failureOfStatus } from '../failure.js';
import { excerpt, keepErrorExcerpt } from '../http/excerpt.js';
import { closePools, exchange, type Reply, unansweredResult } from '../http/exchange.js';
import { invocationPayload } from '../payload.js';
import type { FunctionSpec, InvocationResult } from '../types.js';
import { knativeService, serviceYaml } from './manifest.js';
import {
  type KnativePlatformOptions,
  type ResolvedKnativeOptions,
  resolveKnativeOptions,
} from './options.js';

export class KnativePlatform implements Deployable {
  readonly kind = 'knative';
  readonly address: string;
  readonly notices: string[] = [];
  /** What the last teardown could not delete (also a notice). */
  teardownFailure: string | undefined;
  private readonly options: ResolvedKnativeOptions;
  private readonly pool: Pool;
  private applied = false;
  private closed = false;
  private tornDown: Promise<void> | undefined;
  /** Manifest files written by deploy(). */
  readonly written: string[] = [];

  constructor(options: KnativePlatformOptions) {
    this.options = resolveKnativeOptions(options);
    const o = this.options;
    this.address = `${o.origin}${o.basePath} (namespace ${o.namespace}, domain ${o.domain})`;
    this.pool = new Pool(o.origin, {
      connections: o.connections,
      pipelining: 1,
      connect: { timeout: o.connectTimeoutMs, ...(o.insecure ? { rejectUnauthorized: false } : {}) },
    });
  }

  /** The Host header that routes to a function's Service. */
  hostOf(fn: FunctionSpec): string {
    return `${fn.name}.${this.options.namespace}.${this.options.domain}`;
  }

  async deploy(fns: readonly FunctionSpec[], signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.closed) throw new FaasloadError('E_PLATFORM', 'the knative platform has been torn down');
    const o = this.options;
    if (o.manifestsDir === undefined) return;
    const dir = o.manifestsDir;
    if (o.image === undefined || o.image === '') {
      throw new FaasloadError(
        'E_USAGE',
        'knative: writing Service manifests needs an image (--knative-image)',
      );
    }
    try {
      await mkdir(dir, { recursive: true });
      for (const fn of fns) {
        const file = join(dir, `${fn.name}.yaml`);
        await writeFile(file, serviceYaml(knativeService(fn, o.namespace, o.image)));
        this.written.push(file);
      }
    } catch (e) {
      throw new FaasloadError(
        'E_PLATFORM',
        `cannot write the Knative manifests to ${dir}: ${errnoCodeOf(e) ?? e}`,
      );
    }
    if (!o.apply) return;
    await this.kubectl(['apply', '-f', dir], 'applying the Knative Services');
    this.applied = true;
  }

  /** Leaves the applied Services in place at teardown (faasload deploy). */
  keepDeployed(): void {
    this.applied = false;
  }

  /**
   * Takes charge of the manifests in manifestsDir, so that teardown() deletes them with kubectl
   * (apply must be on); returns the Service files found. For faasload teardown.
   */
  async adoptDeployed(_signal: AbortSignal): Promise<string[]> {
    const dir = this.options.manifestsDir;
    if (dir === undefined || !this.options.apply) {
      throw new FaasloadError(
        'E_USAGE',
        'knative teardown needs --knative-manifests DIR and --knative-apply',
      );
    }
    let files: string[];
    try {
      files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    } catch (e) {
      throw new FaasloadError(
        'E_USAGE',
        `cannot read the Knative manifests in ${dir}: ${errnoCodeOf(e) ?? e}`,
      );
    }
    this.applied = files.length > 0;
    return files.map((f) => f.replace(/\.yaml$/, ''));
  }

  private kubectl(args: string[], what: string): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.options.kubectl, args, { timeout: 300_000 }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = errnoCodeOf(error);
        const why =
          code === 'ENOENT'
            ? `${this.options.kubectl} was not found (install kubectl or give its path)`
            : `${this.options.kubectl} ${args.join(' ')} failed: ${excerpt(stderr) || error.message}`;
        reject(new FaasloadError('E_PLATFORM', `${what}: ${why}`));
      });
    });
  }

  async invoke(fn: FunctionSpec, arrival: Arrival, signal: AbortSignal): Promise<InvocationResult> {
    const now = epochUs();
    if (this.closed)
      return {
        outcome: 'error',
        sentAtUs: now,
        endedAtUs: now,
        failure: 'client',
        error: 'the knative platform was torn down',
      };
    const o = this.options;
    const body = invocationPayload(arrival);
    const reply = await exchange(
      this.pool,
      {
        origin: o.origin,
        path: `${o.basePath}${o.path}`,
        method: 'POST',
        headers: {
          host: this.hostOf(fn),
          'content-type': 'application/json',
          'user-agent': `faasload/${VERSION}`,
        },
        body,
      },
      o.invokeTimeoutMs,
      signal,
      keepErrorExcerpt,
    );
    return this.resultOf(reply, fn);
  }

  private resultOf(reply: Reply, fn: FunctionSpec): InvocationResult {
    const { endedAtUs } = reply;
    const sentAtUs = reply.sentAtUs ?? endedAtUs;
    if (reply.kind !== 'answer') {
      return unansweredResult(reply, `POST ${this.options.origin} (Host ${this.hostOf(fn)})`);
    }
    const result: InvocationResult = { outcome: 'ok', sentAtUs, endedAtUs, httpStatus: reply.status };
    const revision = reply.headers[this.options.revisionHeader];
    const pod = reply.headers[this.options.podHeader];
    const instance = pod ?? revision;
    if (instance) result.instanceId = instance;
    if (reply.status < 200 || reply.status >= 300) {
      result.outcome = 'error';
      result.failure = failureOfStatus(reply.status);
      const text = excerpt(reply.body);
      result.error = `HTTP ${reply.status}${text ? `: ${text}` : ''}`;
    }
    return result;
  }

  teardown(): Promise<void> {
    this.closed = true;
    this.tornDown ??= (async () => {
      if (this.applied && this.options.manifestsDir !== undefined) {
        try {
          await this.kubectl(
            ['delete', '--ignore-not-found', '-f', this.options.manifestsDir],
            'deleting the Knative Services',
          );
          this.applied = false;
        } catch (e) {
          this.teardownFailure = `knative: could not delete the Services: ${messageOf(e)}`;
          this.notices.push(this.teardownFailure);
        }
      }
      await closePools([this.pool], 'the knative platform was torn down');
    })();
    return this.tornDown;
  }
}
