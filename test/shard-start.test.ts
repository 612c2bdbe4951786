import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../src/dispatch/clock.js';
import { createClock } from '../src/dispatch/pacing.js';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { FaasloadError } from '../src/errors.js';
import { deployPlan } from '../src/run/deploy.js';
import { loadPlan } from '../src/run/load-plan.js';
import { functionSpecs } from '../src/run/names.js';
import { replay } from '../src/run/replay.js';
import { checkStartAt, parseStartAt, waitForStart } from '../src/run/start-at.js';
import type { ShardPlan } from '../src/schedule/shard.js';
import { estimateClockOffset, parseChronyTracking } from '../src/util/clock-offset.js';
import { FakePlatform } from './helpers/fakes.js';
import { AZURE2021_FILE } from './helpers/paths.js';

const isUsage = (message: RegExp) => (err: unknown) =>
  err instanceof FaasloadError && err.code === 'E_USAGE' && message.test(err.message);

describe('--start-at: parsing and waiting', () => {
  it('takes ISO 8601 times with a zone only', () => {
    assert.equal(parseStartAt('2026-05-04T12:00:00Z'), Date.UTC(2026, 4, 4, 12));
    assert.equal(parseStartAt('2026-05-04T14:00:00.250+02:00'), Date.UTC(2026, 4, 4, 12, 0, 0, 250));
    for (const bad of ['2026-05-04T12:00:00', '2026-05-04', 'noon', '1714824000'])
      assert.throws(() => parseStartAt(bad), isUsage(/expected an ISO 8601 time with its zone/), bad);
  });

  it('waits on the run clock until the start, which becomes time 0', async () => {
    const clock = new FakeClock(1_000_000_000_000);
    const startAtMs = 1_000_000_000 + 2_500;
    let done = false;
    const waiting = waitForStart(clock, startAtMs, 5000).then((f) => {
      done = true;
      return f;
    });
    clock.advance(2_000_000);
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'still waiting 0.5 s before the start');
    clock.advance(600_000);
    const facts = await waiting;
    assert.deepEqual(facts, { startUs: startAtMs * 1000, lateUs: 0, waitedUs: 2_600_000 });
  });

  it('starts late within the tolerance on the common timeline, and refuses past it', async () => {
    const clock = new FakeClock(1_000_000_000_000);
    const facts = await waitForStart(clock, 1_000_000_000 - 3000, 5000);
    assert.deepEqual(facts, { startUs: (1_000_000_000 - 3000) * 1000, lateUs: 3_000_000, waitedUs: 0 });
    await assert.rejects(
      waitForStart(clock, 1_000_000_000 - 6000, 5000),
      isUsage(/passed 6\.000 s ago, more than the 5\.000 s allowed/),
    );
    assert.doesNotThrow(() => checkStartAt(1000, 1000 + 5000, 5000));
  });
});

describe('clock offset estimate', () => {
  let server: Server;
  let url: string;
  before(async () => {
    // A server whose clock is 3.2 s ahead of ours, as HTTP Date headers show it (whole seconds).
    server = createServer((_req, res) => {
      res.sendDate = false;
      res.setHeader('date', new Date(Date.now() + 3200).toUTCString());
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("finds a platform's clock offset from its Date header to within tens of ms", async () => {
    const f = await estimateClockOffset({ url });
    if (f.source === 'chronyc') {
      // chrony runs here: the estimate is against NTP, not this server; it must still be sane.
      assert.ok(f.offsetMs !== null && Math.abs(f.offsetMs) < 60_000, JSON.stringify(f));
      return;
    }
    assert.equal(f.source, 'http-date', f.detail);
    assert.ok(f.offsetMs !== null && f.uncertaintyMs !== null);
    assert.ok(f.uncertaintyMs < 250, `a tick was seen: ±${f.uncertaintyMs} ms (${f.detail})`);
    assert.ok(
      Math.abs(f.offsetMs - -3200) <= f.uncertaintyMs + 5,
      `offset ${f.offsetMs} ms ±${f.uncertaintyMs}, expected -3200`,
    );
  });

  it('says so when there is nothing to measure against', async () => {
    const f = await estimateClockOffset({ url: 'http://127.0.0.1:1/', budgetMs: 1500 });
    if (f.source === 'chronyc') return;
    assert.equal(f.source, 'none');
    assert.equal(f.offsetMs, null);
    assert.match(f.detail, /HTTP Date probe of http:\/\/127\.0\.0\.1:1 failed/);
  });

  it('reads chronyc tracking: fast is ahead, bounded by root delay / 2 + dispersion', () => {
    const text = [
      'Reference ID    : C0A80001 (ntp.example)',
      'System time     : 0.001500000 seconds slow of NTP time',
      'Root delay      : 0.020000000 seconds',
      'Root dispersion : 0.000500000 seconds',
    ].join('\n');
    const f = parseChronyTracking(text);
    assert.ok(f);
    assert.equal(f.offsetMs, -1.5);
    assert.ok(Math.abs(f.uncertaintyMs! - 10.5) < 1e-9);
    assert.equal(parseChronyTracking('506 Cannot talk to daemon'), undefined);
  });
});

describe('replay --shard --start-at', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-shard-start-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("deploys only the shard's functions under their unsharded names and fires from the common start", async () => {
    const clock = createClock('timer');
    const platform = new FakePlatform(clock);
    const startAtMs = Math.ceil(clock.nowUs() / 1000) + 4000;
    const options = { trace: AZURE2021_FILE, speed: 1000, seed: 2 };
    const { plan: full } = await loadPlan(options);
    const { plan } = await loadPlan({ ...options, shard: { index: 1, count: 3 } });
    const shard = (plan as ShardPlan).shard;
    const { manifest } = await replay({
      ...options,
      shard: { index: 1, count: 3 },
      startAtMs,
      out: join(dir, 'run'),
      clock,
      platformAdapter: platform,
    });
    assert.equal(manifest.status, 'complete');
    assert.deepEqual(manifest.shard, {
      index: 1,
      count: 3,
      planned: shard.planned,
      plannedPerShard: shard.plannedPerShard,
    });
    assert.equal(manifest.startAt?.at, new Date(startAtMs).toISOString());
    assert.equal(manifest.startAt?.lateMs, 0);
    assert.ok((manifest.startAt?.waitedMs ?? 0) > 0, 'it waited for the start');
    assert.ok(manifest.clockOffset, 'a clock offset fact');
    assert.equal(manifest.counts.planned, shard.planned);
    assert.equal(manifest.counts.functions, shard.functions.length);
    const names = functionSpecs(full.functions);
    assert.deepEqual(
      platform.deployed.map((s) => s.name),
      shard.functions.map((fn) => names[fn]!.name),
    );
    assert.equal(platform.invoked.length, shard.planned);
    const expected = [...plan.arrivals()];
    assert.deepEqual(
      platform.invoked.map((i) => i.arrival.seq).sort((a, b) => a - b),
      expected.map((a) => a.seq),
    );
    for (const i of platform.invoked)
      assert.ok(i.atUs >= startAtMs * 1000 + i.arrival.atUs, 'never before its time from the common start');
  });

  it('refuses a start that has passed before planning or writing anything', async () => {
    const out = join(dir, 'late');
    await assert.rejects(
      replay({
        trace: AZURE2021_FILE,
        startAtMs: Date.now() - 60_000,
        out,
        platformAdapter: new FakePlatform(createClock('timer')),
      }),
      isUsage(/passed 60\.\d{3} s ago, more than the 5\.000 s allowed/),
    );
    assert.equal(existsSync(out), false);
  });
});

describe('deploy --shard', () => {
  let server: OpenWhiskServer;
  before(async () => {
    server = await startOpenWhiskServer({ port: 0 });
  });
  after(() => server.close());

  it("creates only the shard's actions, under the names the unsharded run gives them", async () => {
    const plan = { trace: AZURE2021_FILE, functions: 9, sample: 'top' as const, seed: 1 };
    const openwhisk = { apiHost: server.apiHost, auth: server.auth };
    const { plan: full } = await loadPlan(plan);
    const names = functionSpecs(full.functions).map((s) => s.name);
    const created: string[] = [];
    for (let index = 0; index < 2; index++) {
      const { plan: p } = await loadPlan({ ...plan, shard: { index, count: 2 } });
      const r = await deployPlan({ ...plan, shard: { index, count: 2 }, openwhisk });
      assert.deepEqual(
        r.actions,
        (p as ShardPlan).shard.functions.map((fn) => names[fn]!),
      );
      created.push(...r.actions);
    }
    assert.deepEqual(created.sort(), [...names].sort(), 'the two shards deployed every action once');
  });
});
