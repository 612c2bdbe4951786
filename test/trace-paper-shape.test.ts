import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type PaperCheck, paperChecks } from '../src/report/paper-check.js';
import { type TraceFiguresJson, traceFiguresJson, traceStatistics } from '../src/report/trace-stats.js';
import { readTrace } from '../src/trace/read.js';
import { synthesizeAzure2019Day } from '../src/trace/synth-day.js';
import type { ArrivalSource, Trace } from '../src/trace/types.js';
import { runCli } from './helpers/cli.js';
import { removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

after(removeTmpTraces);

/**
 * A paper-shaped day of 3,000 functions (a full day of minutes; the full default day has 46,000,
 * the marginals are the same: the generator stratifies its draws) is checked against every number
 * "Serverless in the Wild" publishes, through `trace figures --json`. The tolerances are the ones
 * each check states (src/report/paper-check.ts): ±0.01 on shares of functions per trigger, ±0.02
 * on shares of invocations (or a quarter of the share, when less), ±0.03 on shares of apps, ±0.003 on the 99.6%, ±0.05 on the IAT CV
 * share, ±0.1 on the log-normal fit, ±5% on the Burr fit's median and 90th percentile.
 */
describe('trace synth --like azure2019 against the paper', () => {
  let json: TraceFiguresJson;
  before(async () => {
    const dir = await tmpTrace();
    const synth = await runCli([
      'trace',
      'synth',
      '--like',
      'azure2019',
      '--functions',
      '3000',
      '--out',
      dir,
    ]);
    assert.equal(synth.code, 0, synth.stderr);
    const figures = await runCli(['trace', 'figures', dir, '--json']);
    assert.equal(figures.code, 0, figures.stderr);
    json = JSON.parse(figures.stdout) as TraceFiguresJson;
  });

  it('reproduces each published number within its tolerance', () => {
    assert.equal(json.statistics.functions, 3000);
    assert.equal(json.statistics.spanHours, 24);
    const failed = json.paper.filter((c) => c.pass !== true);
    assert.deepEqual(
      failed.map((c) => `${c.name}: paper ${c.paper}, ours ${c.ours} (${c.test} ${c.tolerance})`),
      [],
    );
  });

  it('checks every number the issue lists', () => {
    const names = new Set(json.paper.map((c) => c.name));
    for (const name of [
      'functionsPerApp.one',
      'functionsPerApp.atMostTen',
      ...['http', 'queue', 'event', 'timer', 'orchestration', 'storage+others'].flatMap((t) => [
        `triggers.functions.${t}`,
        `triggers.invocations.${t}`,
      ]),
      'triggers.appsWithHttp',
      'triggers.appsWithTimer',
      'rates.atMostHourly',
      'rates.atMostMinutely',
      'rates.atLeastMinutely',
      'rates.invocationsOfAtLeastMinutely',
      'rates.ordersOfMagnitude',
      'hourly.baselineShare',
      'iatCv.appsAboveOne',
      'executionTime.logMeanS',
      'executionTime.logSigmaS',
      'executionTime.underOneSecond',
      'executionTime.atMostMinute',
      'memory.medianMb',
      'memory.p90Mb',
      'memory.atMost170Mb',
      'memory.atMost400Mb',
    ])
      assert.ok(names.has(name), name);
  });

  it('tells the hand-shaped synthetic day apart: it misses the paper on apps, rates and fits', async () => {
    const dir = await tmpTrace();
    await synthesizeAzure2019Day({ seed: 1, functions: 3000, outDir: dir });
    const checks = traceFiguresJson(await readTrace(dir)).paper;
    const failed = new Set(checks.filter((c) => c.pass === false).map((c) => c.name));
    for (const name of [
      'functionsPerApp.one',
      'rates.invocationsOfAtLeastMinutely',
      'executionTime.logSigmaS',
      'memory.medianMb',
    ])
      assert.ok(failed.has(name), `${name} should fail on the hand-shaped day`);
  });
});

/** A trace of binned functions, one minute per bin, built by hand. */
function binnedTrace(
  fns: Array<{ app: string; trigger: string; counts: number[]; averageMs?: number; memoryMb?: number }>,
  minutes: number,
): Trace {
  return {
    format: 'azure2019',
    files: [],
    spanUs: minutes * 60e6,
    functions: fns.map((f, i) => ({
      id: `f${i}`,
      app: f.app,
      trigger: f.trigger,
      ...(f.averageMs === undefined ? {} : { durationMs: { average: f.averageMs, points: [] } }),
      ...(f.memoryMb === undefined ? {} : { memoryMb: { average: f.memoryMb, points: [] } }),
    })),
    arrivals: (fn): ArrivalSource => {
      const counts = new Uint32Array(minutes);
      fns[fn]!.counts.forEach((c, t) => {
        counts[t] = c;
      });
      return { kind: 'counts', startUs: 0, binUs: 60e6, counts };
    },
  };
}

describe('traceStatistics', () => {
  it('computes shares per app and per trigger, app IATs over merged functions, the hourly baseline', () => {
    const minutes = 120;
    const every = (k: number, from = 0) =>
      Array.from({ length: minutes }, (_, t) => (t >= from && (t - from) % k === 0 ? 1 : 0));
    const bunched = new Array<number>(minutes).fill(0);
    bunched[0] = 3;
    bunched[59] = 1;
    const trace = binnedTrace(
      [
        // App a: two timers every 2 minutes, shifted by one: merged, one invocation a minute (CV 0).
        { app: 'a', trigger: 'timer', counts: every(2), averageMs: 500, memoryMb: 100 },
        { app: 'a', trigger: 'http', counts: every(2, 1), averageMs: 2000, memoryMb: 100 },
        // App b: three invocations in its first minute, one more an hour later: bunched, a CV above 1.
        { app: 'b', trigger: 'queue', counts: bunched, averageMs: 30_000, memoryMb: 500 },
      ],
      minutes,
    );
    const s = traceStatistics(trace);
    assert.equal(s.apps, 2);
    assert.deepEqual(s.functionsPerApp, {
      one: 0.5,
      atMostTen: 1,
      elevenOrMore: 0,
      hundredOrMore: 0,
      mean: 1.5,
      max: 2,
    });
    assert.ok(s.triggers);
    assert.equal(s.triggers.functions.timer, 1 / 3);
    assert.equal(s.triggers.invocations.queue, 4 / 124);
    assert.equal(s.triggers.appsWithHttp, 0.5);
    assert.equal(s.triggers.appsWithTimer, 0.5);
    // Per day: app a 120 in 2 h → 1440 (at least once a minute), app b 4 → 48.
    assert.equal(s.rates.of, 'apps');
    assert.equal(s.rates.atLeastMinutely, 0.5);
    assert.equal(s.rates.atMostHourly, 0);
    assert.equal(s.rates.invocationsOfAtLeastMinutely, 120 / 124);
    assert.ok(Math.abs(s.rates.ordersOfMagnitude - Math.log10(1440 / 48)) < 1e-9);
    assert.deepEqual(s.hourly, { hours: 2, baselineShare: 60 / 62, peakOverMean: 64 / 62 });
    assert.equal(s.iatCv.appsWithCv, 2);
    assert.equal(s.iatCv.appsAboveOne, 0.5, 'a is regular once merged, b is bunched');
    assert.equal(s.iatCv.functionsAboveOne, 1 / 3);
    assert.ok(s.executionTime);
    assert.equal(s.executionTime.underOneSecond, 1 / 3);
    assert.equal(s.executionTime.medianS, 2);
    assert.ok(Math.abs(s.executionTime.logMeanS - (Math.log(0.5) + Math.log(2) + Math.log(30)) / 3) < 1e-12);
    assert.deepEqual(s.memory, { apps: 2, medianMb: 200, p90Mb: 500, atMost170Mb: 0, atMost400Mb: 0.5 });
  });

  it('leaves out what a trace does not have: no apps, no triggers, no durations, no memory', () => {
    const trace = binnedTrace([{ app: 'x', trigger: 'http', counts: [5] }], 1);
    const bare: Trace = { ...trace, functions: [{ id: 'f0' }] };
    const s = traceStatistics(bare);
    assert.equal(s.apps, null);
    assert.equal(s.functionsPerApp, null);
    assert.equal(s.triggers, null);
    assert.equal(s.rates.of, 'functions');
    assert.equal(s.hourly, null);
    assert.equal(s.executionTime, null);
    assert.equal(s.memory, null);
    const checks: PaperCheck[] = paperChecks(s);
    assert.ok(checks.every((c) => c.pass === null && c.ours === null));
  });
});

describe('trace figures --json', () => {
  it('prints the statistics and still writes the figures when --out is given', async () => {
    const dir = await tmpTrace();
    await synthesizeAzure2019Day({ seed: 4, functions: 30, minutes: 180, outDir: dir });
    const out = await tmpTrace();
    const r = await runCli(['trace', 'figures', dir, '--json', '--out', out, '--no-png']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as TraceFiguresJson;
    assert.equal(json.statistics.functions, 30);
    assert.equal(json.statistics.hourly?.hours, 3);
    const index = JSON.parse(await readFile(join(out, 'figures.json'), 'utf8')) as { figures: unknown[] };
    assert.equal(index.figures.length, 7);
  });

  it('needs --out or --json: a usage error otherwise', async () => {
    const dir = await tmpTrace();
    await synthesizeAzure2019Day({ seed: 1, functions: 5, minutes: 10, outDir: dir });
    const r = await runCli(['trace', 'figures', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out DIR.*--json/);
  });
});
