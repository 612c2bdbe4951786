import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { svgFacts } from '../src/report/plot/index.js';
import { functionStats, traceFigures, writeTraceFigures } from '../src/report/trace-figures.js';
import { readTrace } from '../src/trace/read.js';
import { runCli } from './helpers/cli.js';
import { AZURE2019_DIR, AZURE2021_FILE } from './helpers/paths.js';
import { naiveCsv, removeTmpTraces, tmpTrace } from './helpers/trace-fixtures.js';

let out: string;
before(async () => {
  out = await mkdtemp(join(tmpdir(), 'faasload-trace-figures-'));
});
after(async () => {
  await rm(out, { recursive: true, force: true });
  await removeTmpTraces();
});

/** Rows of a figure CSV as [cells...] with numbers parsed, header dropped. */
async function csvRows(path: string): Promise<(string | number)[][]> {
  const [, ...rows] = naiveCsv(await readFile(path, 'utf8'));
  return rows.map((r) => r.map((c) => (c !== '' && !Number.isNaN(Number(c)) ? Number(c) : c)));
}

const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

/**
 * A hand-made In-Vitro Azure 2019 trace: 4 minutes, 3 functions in 2 apps.
 * f1 (a1, http)  1,1,1,1  -> 4 invocations, one a minute: IAT CV 0
 * f2 (a1, timer) 2,0,0,0  -> 2 invocations: no CV
 * f3 (a2, http)  0,3,0,3  -> 6 at 70,90,110,190,210,230 s: IATs 20,20,80,20,20, mean 32, sd 24, CV 0.75
 */
const ID = (n: number, app: string, owner: string) => `${owner},${app},f${n}`;
const fixture = {
  'invocations.csv': [
    'HashOwner,HashApp,HashFunction,Trigger,1,2,3,4',
    `${ID(1, 'a1', 'o1')},http,1,1,1,1`,
    `${ID(2, 'a1', 'o1')},timer,2,0,0,0`,
    `${ID(3, 'a2', 'o2')},http,0,3,0,3`,
  ].join('\n'),
  'durations.csv': [
    'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100',
    `${ID(1, 'a1', 'o1')},100,4,10,1000,10,11,50,90,150,900,1000`,
    `${ID(2, 'a1', 'o1')},5,2,0,50,0,0,1,2,3,40,50`,
  ].join('\n'),
  'memory.csv': [
    'HashFunction,HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100',
    'f1,o1,a1,10,128,100,110,120,128,130,140,150,160',
    'f2,o1,a1,10,256,200,210,220,256,260,270,280,290',
    'f3,o2,a2,10,64,60,61,62,64,65,66,67,68',
  ].join('\n'),
};

describe('trace figures from a hand-made Azure 2019 trace', () => {
  it('computes inter-arrival CVs with a bin spread evenly inside it', async () => {
    const trace = await readTrace(await tmpTrace(fixture));
    const stats = trace.functions.map((_, i) => functionStats(trace.arrivals(i)));
    assert.deepEqual(
      stats.map((s) => s.invocations),
      [4, 2, 6],
    );
    assert.equal(stats[0]!.iatCv, 0);
    assert.ok(Number.isNaN(stats[1]!.iatCv));
    assert.ok(near(stats[2]!.iatCv, 0.75), String(stats[2]!.iatCv));
  });

  it('writes every figure with the values worked out by hand', async () => {
    const trace = await readTrace(await tmpTrace(fixture));
    const dir = join(out, 'fixture');
    const result = await writeTraceFigures(trace, dir, { png: false });
    assert.deepEqual(
      result.written.map((w) => w.name),
      [
        'functions-per-app',
        'trigger-share',
        'popularity',
        'daily-invocations',
        'iat-cv',
        'execution-time',
        'memory',
      ],
    );
    assert.deepEqual(result.skipped, []);
    const csv = (name: string) => csvRows(join(dir, `${name}.csv`));

    // a1 has 2 functions, a2 has 1.
    assert.deepEqual(await csv('functions-per-app'), [
      [1, 0],
      [1, 0.5],
      [2, 1],
    ]);
    const share = await csv('trigger-share');
    const expected = [
      ['functions', 'http', 2 / 3],
      ['functions', 'timer', 1 / 3],
      ['invocations', 'http', 10 / 12],
      ['invocations', 'timer', 2 / 12],
    ];
    assert.equal(share.length, 4);
    share.forEach((r, i) => {
      assert.deepEqual(r.slice(0, 2), expected[i]!.slice(0, 2));
      assert.ok(near(r[2] as number, expected[i]![2] as number));
    });
    // Functions 6, 4, 2 of 12; apps 6, 6.
    const pop = (await csv('popularity')).map((r) => [r[0], +(r[1] as number).toFixed(9), r[2]]);
    assert.deepEqual(pop, [
      [1 / 3, 0.5, 'functions'],
      [2 / 3, +(10 / 12).toFixed(9), 'functions'],
      [1, 1, 'functions'],
      [0.5, 0.5, 'apps'],
      [1, 1, 'apps'],
    ]);
    // 4 minutes scaled to 1440: x360.
    const daily = await csv('daily-invocations');
    assert.deepEqual(
      daily.filter((r) => r[2] === 'functions' && r[1] !== 0).map((r) => r[0]),
      [720, 1440, 2160],
    );
    assert.deepEqual(
      daily.filter((r) => r[2] === 'apps').map((r) => r.slice(0, 2)),
      [
        [2160, 0],
        [2160, 1],
      ],
    );
    const cv = await csv('iat-cv');
    assert.deepEqual(
      cv.filter((r) => r[2] === 'all').map((r) => r.slice(0, 2)),
      [
        [0, 0],
        [0, 0.5],
        [0.75, 1],
      ],
    );
    const exec = await csv('execution-time');
    const stat = (rows: (string | number)[][], name: string) =>
      rows.filter((r) => r[2] === name && r[1] !== 0).map((r) => r.slice(0, 2));
    // f3 has no durations row: two functions per curve.
    assert.deepEqual(stat(exec, 'average'), [
      [5, 0.5],
      [100, 1],
    ]);
    assert.deepEqual(stat(exec, 'minimum'), [
      [0, 0.5],
      [10, 1],
    ]);
    assert.deepEqual(stat(exec, 'maximum'), [
      [50, 0.5],
      [1000, 1],
    ]);
    const mem = await csv('memory');
    assert.deepEqual(
      stat(mem, 'average').map((r) => r[0]),
      [64, 128, 256],
    );
    assert.deepEqual(
      stat(mem, '99th percentile').map((r) => r[0]),
      [67, 150, 280],
    );

    const svg = svgFacts(await readFile(join(dir, 'execution-time.svg'), 'utf8'));
    assert.deepEqual(svg.series, ['average', 'minimum', 'maximum']);
    assert.equal(svg.lines, 3);
    const index = JSON.parse(await readFile(join(dir, 'figures.json'), 'utf8')) as {
      figures: { name: string; note: string | null }[];
    };
    assert.match(index.figures.find((f) => f.name === 'daily-invocations')!.note!, /scaled to 24 h/);
    assert.match(index.figures.find((f) => f.name === 'execution-time')!.note!, /2 of 3 functions/);
  });
});

describe('trace figures from a plain CSV trace', () => {
  it('uses exact times and per-invocation durations, and skips what the format lacks', async () => {
    // f: 0, 1, 3 s -> IATs 1, 2 s: mean 1.5, sd 0.5, CV 1/3. g: one invocation, no CV.
    const dir = await tmpTrace({
      'calls.csv': ['time,fn,ms', '0,f,10', '1,f,30', '3,f,20', '2,g,5'].join('\n'),
    });
    const trace = await readTrace(join(dir, 'calls.csv'), {
      format: 'csv',
      csv: { timeColumn: 'time', functionColumn: 'fn', durationColumn: 'ms' },
    });
    const { figures, skipped } = traceFigures(trace);
    assert.deepEqual(
      skipped.map((s) => s.name),
      ['functions-per-app', 'trigger-share', 'memory'],
    );
    const cv = figures.find((f) => f.name === 'iat-cv')!.rows.filter((r) => r.fraction !== 0);
    assert.equal(cv.length, 1);
    assert.ok(near(cv[0]!.value as number, 1 / 3), String(cv[0]!.value));
    const exec = figures.find((f) => f.name === 'execution-time')!.rows.filter((r) => r.fraction !== 0);
    const of = (s: string) => exec.filter((r) => r.statistic === s).map((r) => r.value);
    assert.deepEqual(of('average'), [5, 20]);
    assert.deepEqual(of('minimum'), [5, 10]);
    assert.deepEqual(of('maximum'), [5, 30]);
  });
});

describe('trace figures from the real samples', () => {
  it('Azure 2019, 100 functions over 8 h: counts and triggers match the CSV', async () => {
    const { figures, skipped } = traceFigures(await readTrace(AZURE2019_DIR));
    assert.deepEqual(skipped, []);
    assert.equal(figures.length, 7);
    const rows = naiveCsv(await readFile(join(AZURE2019_DIR, 'invocations.csv'), 'utf8')).slice(1);
    const totals = rows.map((r) => r.slice(4).reduce((s, c) => s + Number(c), 0));
    const all = totals.reduce((s, x) => s + x, 0);
    const byTrigger = new Map<string, number>();
    for (const [i, r] of rows.entries()) byTrigger.set(r[3]!, (byTrigger.get(r[3]!) ?? 0) + totals[i]!);
    const share = figures.find((f) => f.name === 'trigger-share')!.rows;
    for (const [t, n] of byTrigger) {
      const r = share.find((x) => x.of === 'invocations' && x.trigger === t)!;
      assert.ok(near(r.share as number, n / all), t);
    }
    // The busiest function's share is the first point of the popularity curve.
    const pop = figures.find((f) => f.name === 'popularity')!.rows.filter((r) => r.of === 'functions');
    assert.ok(near(pop[0]!.share_of_invocations as number, Math.max(...totals) / all));
    // IAT CVs, worked out invocation by invocation (each placed evenly inside its minute).
    const naiveCvs = rows
      .map((r) => {
        const times: number[] = [];
        r.slice(4).forEach((c, m) => {
          const n = Number(c);
          for (let k = 0; k < n; k++) times.push(m * 60 + ((k + 0.5) * 60) / n);
        });
        if (times.length < 3) return Number.NaN;
        const iats = times.slice(1).map((t, i) => t - times[i]!);
        const mean = iats.reduce((a, b) => a + b, 0) / iats.length;
        const sd = Math.sqrt(iats.reduce((a, b) => a + (b - mean) ** 2, 0) / iats.length);
        return sd / mean;
      })
      .filter((x) => !Number.isNaN(x))
      .sort((a, b) => a - b);
    const cvRows = figures.find((f) => f.name === 'iat-cv')!.rows.filter((r) => r.functions === 'all');
    const distinct = [...new Set(naiveCvs.map((x) => x.toFixed(6)))];
    assert.deepEqual(
      cvRows.slice(1).map((r) => (r.value as number).toFixed(6)),
      distinct,
    );
    // 8 hours: a day is 3 times the span.
    const daily = figures
      .find((f) => f.name === 'daily-invocations')!
      .rows.filter((r) => r.of === 'functions');
    assert.equal(daily.at(-1)!.value, Math.max(...totals) * 3);
  });

  it('Azure 2021: per-invocation durations; no triggers, no memory', async () => {
    const { figures, skipped } = traceFigures(await readTrace(AZURE2021_FILE));
    assert.deepEqual(
      skipped.map((s) => s.name),
      ['trigger-share', 'memory'],
    );
    const rows = naiveCsv(await readFile(AZURE2021_FILE, 'utf8')).slice(1);
    const apps = new Map<string, Set<string>>();
    for (const [app, fn] of rows) apps.set(app!, (apps.get(app!) ?? new Set()).add(fn!));
    const perApp = figures.find((f) => f.name === 'functions-per-app')!.rows;
    assert.equal(perApp.at(-1)!.value, Math.max(...[...apps.values()].map((s) => s.size)));
    const maxMs = Math.max(...rows.map((r) => Number(r[3]) * 1000));
    const exec = figures
      .find((f) => f.name === 'execution-time')!
      .rows.filter((r) => r.statistic === 'maximum');
    assert.ok(Math.abs((exec.at(-1)!.value as number) - maxMs) < 1e-3);
  });

  it('faasload trace figures writes the files and lists them', async () => {
    const dir = join(out, 'cli');
    const r = await runCli(['trace', 'figures', AZURE2019_DIR, '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /iat-cv\s+\S+iat-cv\.svg/);
    for (const ext of ['svg', 'png', 'csv', 'vl.json']) await readFile(join(dir, `memory.${ext}`));
    const bad = await runCli(['trace', 'figures', join(out, 'nope'), '--out', dir]);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /nope: no such file/);
  });
});
