/**
 * The embedded platform's instance pool on its own, with fake instances whose starts and exits the
 * test decides: eviction order (least recently used idle first, most recently used reused first,
 * keep-alive), start slots, what each invocation waited for (waitReason), and, over random
 * sequences of operations, that every instance is in exactly one state and the books (counts,
 * memory, activations) match the records.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep, setImmediate as turn } from 'node:timers/promises';
import fc from 'fast-check';
import type { ExitInfo } from '../src/embedded/local/instance.js';
import { InstanceFailure } from '../src/embedded/local/instance.js';
import type { LifecycleEvent } from '../src/embedded/local/instance-channel.js';
import { InstanceTable } from '../src/embedded/local/instance-table.js';
import {
  ColdStartFailure,
  InstancePool,
  type Lease,
  type PooledInstance,
  type PoolFunction,
  type PoolOptions,
  StartFailure,
} from '../src/embedded/local/pool.js';

/** An instance whose start the test ends (ready() or fail()) and that exits a turn after remove(). */
class FakeInstance implements PooledInstance {
  alive = true;
  /** Its function was redeployed: isCurrent() says no. */
  outdated = false;
  removed = 0;
  readonly exited: Promise<ExitInfo>;
  private exit: (info: ExitInfo) => void = () => undefined;
  private starting: { resolve(): void; reject(e: unknown): void } | undefined;
  private readonly started: Promise<void>;

  constructor(
    readonly id: string,
    readonly functionName: string,
  ) {
    this.exited = new Promise((resolve) => {
      this.exit = resolve;
    });
    this.started = new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
    });
  }

  /** Its start has not ended yet. */
  get pending(): boolean {
    return this.starting !== undefined;
  }
  start(): Promise<void> {
    return this.started;
  }
  ready(): void {
    this.starting?.resolve();
    this.starting = undefined;
  }
  fail(e: unknown): void {
    this.starting?.reject(e);
    this.starting = undefined;
  }
  remove(): void {
    this.removed++;
    setImmediate(() => this.die({ code: null, signal: 'SIGTERM' }));
  }
  die(info: ExitInfo): void {
    if (!this.alive) return;
    this.alive = false;
    this.fail(new InstanceFailure('exited', 'the instance exited'));
    this.exit(info);
  }
}

const never = new AbortController().signal;
const fn = (name: string, memoryMb = 128, concurrency = 1): PoolFunction => ({ name, memoryMb, concurrency });

function harness(options: Partial<PoolOptions> = {}) {
  const launched: FakeInstance[] = [];
  const events: [id: string, event: LifecycleEvent, reason: string][] = [];
  const pool = new InstancePool<FakeInstance>(
    {
      keepAliveMs: Number.POSITIVE_INFINITY,
      poolMemoryMb: 1024,
      maxInstances: 16,
      waitTimeoutMs: 10_000,
      startSlots: () => 4,
      ...options,
    },
    {
      launch: (f) => {
        const instance = new FakeInstance(`${f.name}-${launched.length + 1}`, f.name);
        launched.push(instance);
        return instance;
      },
      isCurrent: (instance) => !instance.outdated,
      lifecycle: (instance, event, reason) => events.push([instance.id, event, reason]),
    },
  );
  /** The instance launched last, started now; its lease once the pool has handed it over. */
  const startLast = async (): Promise<FakeInstance> => {
    const instance = launched.at(-1);
    assert.ok(instance?.pending, 'a start under way');
    instance.ready();
    await turn();
    return instance;
  };
  /** A cold start of f, run to its lease. */
  const cold = async (f: PoolFunction): Promise<Lease<FakeInstance>> => {
    const lease = pool.acquire(f, never);
    await startLast();
    return lease;
  };
  const stateOf = (instance: FakeInstance) => pool.records().find((r) => r.instance === instance)?.state;
  return { pool, launched, events, startLast, cold, stateOf };
}

describe('instance pool: eviction', () => {
  test('room is made by evicting idle instances of any function, least recently used first', async () => {
    const { pool, events, cold } = harness({ poolMemoryMb: 3 * 128 });
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => fn(n));
    for (const f of [a, b, c]) {
      pool.release((await cold(f!)).instance);
      await sleep(2);
    }
    const warm = await pool.acquire(a!, never); // a is now the most recently used
    assert.equal(warm.coldStart, false);
    pool.release(warm.instance);
    const both = Promise.allSettled([pool.acquire(d!, never), pool.acquire(d!, never)]);
    const evicted = events.filter(([, e]) => e === 'evicted_for_room');
    assert.deepEqual(evicted, [
      ['b-2', 'evicted_for_room', 'room for 128 MB'],
      ['c-3', 'evicted_for_room', 'room for 128 MB'],
    ]);
    assert.equal(pool.stats().evictedForRoom, 2);
    assert.equal(pool.stats().usedMemoryMb, 3 * 128, 'a, and the two starting instances of d');
    await pool.close();
    assert.deepEqual(
      (await both).map((r) => r.status),
      ['rejected', 'rejected'],
      'their starts ended with the pool',
    );
  });

  test('nothing is evicted when evicting every idle instance would not make room', async () => {
    const { pool, cold, events } = harness({ poolMemoryMb: 256 });
    const busy = await cold(fn('a'));
    pool.release((await cold(fn('b'))).instance);
    const big = pool.acquire(fn('big', 256), never);
    const bigFails = assert.rejects(big);
    await turn();
    assert.deepEqual(
      events.filter(([, e]) => e === 'evicted_for_room'),
      [],
    );
    assert.equal(pool.pressure().waiting.memory, 1);
    pool.release(busy.instance); // now both idle ones go, and the big one starts
    await turn();
    assert.deepEqual(
      events.filter(([, e]) => e === 'evicted_for_room').map(([id]) => id),
      ['b-2', 'a-1'],
    );
    await pool.close();
    await bigFails;
  });

  test('the most recently used idle instance of a function is reused first', async () => {
    const { pool, cold } = harness();
    const [x, y] = await Promise.all([cold(fn('a')), cold(fn('a'))]);
    pool.release(y.instance);
    await sleep(2);
    pool.release(x.instance);
    assert.equal((await pool.acquire(fn('a'), never)).instance, x.instance);
    assert.equal((await pool.acquire(fn('a'), never)).instance, y.instance);
    await pool.close();
  });

  test('an idle instance goes when its keep-alive ends; a busy one does not age', async () => {
    const { pool, cold, events, stateOf } = harness({ keepAliveMs: 40 });
    const lease = await cold(fn('a'));
    await sleep(80); // busy all along
    assert.equal(stateOf(lease.instance), 'busy');
    pool.release(lease.instance);
    await sleep(15);
    const again = await pool.acquire(fn('a'), never); // reused before its keep-alive ended
    assert.equal(again.instance, lease.instance);
    pool.release(again.instance);
    await sleep(100);
    assert.deepEqual(
      events.filter(([, e]) => e === 'keep_alive_expired'),
      [['a-1', 'keep_alive_expired', 'idle for 40 ms']],
    );
    assert.equal(lease.instance.removed, 1);
    assert.deepEqual([pool.stats().evicted, pool.stats().alive], [1, 0]);
    await pool.close();
  });
});

describe('instance pool: start slots and what invocations wait for', () => {
  test('past the start slots a cold start waits (start_slot), in arrival order; a warm one does not', async () => {
    const { pool, launched, cold, startLast } = harness({ startSlots: () => 1 });
    pool.release((await cold(fn('a'))).instance);
    const rb = pool.acquire(fn('b'), never); // takes the slot
    const rc = pool.acquire(fn('c'), never); // waits for it
    const rd = pool.acquire(fn('d'), never); // and behind c
    const warm = await pool.acquire(fn('a'), never);
    assert.deepEqual([warm.coldStart, warm.waitMs, warm.waitReason], [false, 0, 'none']);
    assert.deepEqual(
      launched.map((i) => i.id),
      ['a-1', 'b-2'],
    );
    assert.deepEqual([pool.pressure().starting, pool.pressure().waiting.start_slot], [1, 2]);
    await startLast();
    await turn();
    assert.equal(launched.at(-1)?.id, 'c-3', 'c before d');
    await startLast();
    await turn();
    await startLast();
    const [b, c, d] = await Promise.all([rb, rc, rd]);
    assert.deepEqual(
      [b, c, d].map((l) => [l.coldStart, l.waitReason]),
      [
        [true, 'none'],
        [true, 'start_slot'],
        [true, 'start_slot'],
      ],
    );
    assert.ok(d.waitMs >= c.waitMs);
    await pool.close();
  });

  test('with every instance busy and the pool full, a cold start waits for memory', async () => {
    const { pool, cold, startLast } = harness({ poolMemoryMb: 128 });
    const a = await cold(fn('a'));
    const rb = pool.acquire(fn('b'), never);
    await turn();
    assert.equal(pool.pressure().waiting.memory, 1);
    await sleep(5);
    pool.release(a.instance); // idle now, so evicted for b
    await turn();
    await startLast();
    const b = await rb;
    assert.deepEqual([b.coldStart, b.waitReason], [true, 'memory']);
    assert.ok(b.waitMs >= 5);
    await pool.close();
  });

  test('an invocation whose cold start is under way takes an instance of its function that frees first', async () => {
    const { pool, cold, launched, startLast, stateOf } = harness();
    const first = await cold(fn('a'));
    const queued = pool.acquire(fn('a'), never); // a-1 is busy: a-2 starts for it
    await turn();
    assert.equal(launched.length, 2);
    pool.release(first.instance);
    const lease = await queued;
    assert.deepEqual(
      [lease.instance, lease.coldStart, lease.waitReason],
      [first.instance, false, 'instance_busy'],
    );
    await startLast(); // the start it no longer needs ends in the idle pool
    assert.equal(stateOf(launched[1]!), 'idle');
    assert.deepEqual([pool.stats().started, pool.stats().idle, pool.stats().busy], [2, 1, 1]);
    await pool.close();
  });

  test('with concurrency above 1, an invocation waits for a free slot of an instance being started', async () => {
    const { pool, launched, startLast } = harness();
    const f = fn('a', 128, 2);
    const r1 = pool.acquire(f, never);
    const r2 = pool.acquire(f, never);
    await turn();
    assert.equal(launched.length, 1, 'no second start');
    assert.equal(pool.pressure().waiting.instance_busy, 1);
    await startLast();
    const [l1, l2] = await Promise.all([r1, r2]);
    assert.equal(l1.instance, l2.instance);
    assert.deepEqual([l1.coldStart, l2.coldStart, l2.waitReason], [true, false, 'instance_busy']);
    assert.equal(pool.records()[0]?.active, 2);
    await pool.close();
  });

  test('a wait is bounded and says what it waited for', async () => {
    const { pool, cold } = harness({ maxInstances: 1, waitTimeoutMs: 30 });
    await cold(fn('a'));
    await assert.rejects(
      pool.acquire(fn('b'), never),
      (e: unknown) =>
        e instanceof InstanceFailure &&
        e.kind === 'timeout' &&
        /waited 30 ms for room in the pool/.test(e.message),
    );
    await pool.close();
  });

  test('a failed start fails its invocation with the step, and the instance is removed', async () => {
    const { pool, launched, events } = harness();
    const r = pool.acquire(fn('a'), never);
    launched[0]?.fail(new StartFailure(new Error('/init answered 500: boom'), 'init'));
    await assert.rejects(
      r,
      (e: unknown) => e instanceof ColdStartFailure && e.stage === 'init' && /boom/.test(e.message),
    );
    assert.deepEqual(events.at(-1), ['a-1', 'discarded', 'failed start: /init answered 500: boom']);
    assert.equal(pool.stats().failedStarts, 1);
    await turn();
    assert.equal(pool.stats().alive, 0);
    await pool.close();
  });

  test('an instance being removed is never handed out again, even when an activation on it ends', async () => {
    const { pool, cold, launched, stateOf } = harness();
    const f = fn('a', 128, 2);
    const l1 = await cold(f);
    const l2 = await pool.acquire(f, never);
    assert.equal(l2.instance, l1.instance);
    pool.discard(l1.instance, '/run failed');
    pool.release(l2.instance); // the other activation answered before the instance went
    assert.equal(stateOf(l1.instance), 'stopping');
    const next = pool.acquire(f, never);
    const nextFails = assert.rejects(next);
    await turn();
    assert.equal(launched.length, 2, 'a new instance is started');
    await pool.close();
    await nextFails;
  });
});

describe('instance table', () => {
  test('a change that is not a transition throws; a record dropped is left alone', () => {
    const table = new InstanceTable<{ id: string; functionName: string; alive: boolean }>(
      Number.POSITIVE_INFINITY,
      () => undefined,
    );
    const instance = { id: 'a-1', functionName: 'a', alive: true };
    const record = table.add(instance, 128, 1);
    table.stop(record);
    assert.throws(() => table.idle(record), /stopping → idle is not a transition/);
    assert.throws(() => table.lease(record), /stopping → busy is not a transition/);
    table.drop(record);
    table.lease(record);
    assert.equal(table.size, 0);
    assert.deepEqual(table.inUse(), { instances: 0, memoryMb: 0 });
  });
});

/** One step of a random sequence. */
type Step =
  | { op: 'acquire'; fn: number }
  | { op: 'start'; pick: number; ok: boolean }
  | { op: 'release' | 'discard'; pick: number }
  | { op: 'crash'; pick: number }
  | { op: 'redeploy'; fn: number };

const FUNCTIONS = [fn('a', 128, 1), fn('b', 256, 1), fn('c', 128, 3)];

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('acquire' as const), fn: fc.nat(FUNCTIONS.length - 1) }),
  fc.record({ op: fc.constant('start' as const), pick: fc.nat(), ok: fc.boolean() }),
  fc.record({ op: fc.constantFrom('release' as const, 'discard' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('crash' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('redeploy' as const), fn: fc.nat(FUNCTIONS.length - 1) }),
);

describe('instance pool: the books', () => {
  test('over random operations every instance is in exactly one state and the counts match', async () => {
    const LIMITS = { poolMemoryMb: 640, maxInstances: 4, startSlots: 2 };
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        const { pool, launched } = harness({ ...LIMITS, startSlots: () => LIMITS.startSlots });
        /** Leases the test holds (one per activation it has not ended). */
        const held: FakeInstance[] = [];
        const pending: Promise<unknown>[] = [];
        const problems: string[] = [];
        for (const step of steps) {
          switch (step.op) {
            case 'acquire': {
              const lease = pool.acquire(FUNCTIONS[step.fn]!, never).then(
                (l) => {
                  const state = pool.records().find((r) => r.instance === l.instance)?.state;
                  if (state !== undefined && state !== 'busy')
                    problems.push(`${l.instance.id} leased ${state}`);
                  held.push(l.instance);
                },
                () => undefined, // failed starts, and waits that close() ends
              );
              pending.push(lease);
              break;
            }
            case 'start': {
              const starting = launched.filter((i) => i.pending);
              const instance = starting[step.pick % Math.max(1, starting.length)];
              if (step.ok) instance?.ready();
              else instance?.fail(new StartFailure(new Error('no'), 'start'));
              break;
            }
            case 'release':
            case 'discard': {
              const [instance] = held.splice(step.pick % Math.max(1, held.length), 1);
              if (instance && step.op === 'release') pool.release(instance);
              else if (instance) pool.discard(instance);
              break;
            }
            case 'crash': {
              const alive = launched.filter((i) => i.alive);
              alive[step.pick % Math.max(1, alive.length)]?.die({ code: 1, signal: null });
              break;
            }
            case 'redeploy': {
              const name = FUNCTIONS[step.fn]!.name;
              for (const i of launched) if (i.functionName === name) i.outdated = true;
              pool.retire(name, 'redeployed');
              break;
            }
          }
          await turn();
          await turn();
          assert.deepEqual(problems, []);
          checkBooks(pool, launched, held, LIMITS);
        }
        await pool.close();
        await Promise.all(pending);
        assert.deepEqual([pool.records().length, pool.stats().alive], [0, 0]);
        assert.ok(launched.every((i) => !i.alive));
      }),
      { numRuns: 120, seed: 22 },
    );
  });
});

function checkBooks(
  pool: InstancePool<FakeInstance>,
  launched: readonly FakeInstance[],
  held: readonly FakeInstance[],
  limits: { poolMemoryMb: number; maxInstances: number; startSlots: number },
): void {
  const records = pool.records();
  // Exactly the instances that have not exited, each once, each in one state.
  assert.deepEqual(
    records.map((r) => r.instance.id),
    launched.filter((i) => i.alive).map((i) => i.id),
  );
  const byState = { starting: 0, busy: 0, idle: 0, stopping: 0 };
  let usedMb = 0;
  for (const r of records) {
    byState[r.state]++;
    if (r.state !== 'stopping') usedMb += r.memoryMb;
    const leases = held.filter((i) => i === r.instance).length;
    if (r.state === 'busy') {
      assert.ok(r.active >= 1 && r.active <= r.concurrency, `${r.instance.id}: ${r.active} activations`);
      assert.equal(r.active, leases, `${r.instance.id}: activations and leases`);
    } else {
      assert.equal(r.active, 0, `${r.instance.id} (${r.state}) runs nothing`);
      if (r.state !== 'stopping')
        assert.equal(leases, 0, `${r.instance.id} (${r.state}) is leased to no one`);
    }
  }
  const stats = pool.stats();
  assert.equal(stats.alive, records.length);
  assert.equal(byState.starting + byState.busy + byState.idle + byState.stopping, stats.alive);
  assert.deepEqual([stats.idle, stats.busy, stats.usedMemoryMb], [byState.idle, byState.busy, usedMb]);
  const pressure = pool.pressure();
  assert.equal(pressure.instances, records.length - byState.stopping);
  assert.ok(usedMb <= limits.poolMemoryMb, `${usedMb} MB in a pool of ${limits.poolMemoryMb}`);
  assert.ok(pressure.instances <= limits.maxInstances);
  assert.ok(pressure.starting <= limits.startSlots);
}
