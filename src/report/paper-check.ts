import { AZURE2019_PAPER } from '../trace/paper-azure2019.js';
import type { TraceStatistics } from './trace-stats.js';

/**
 * A trace's statistics beside the numbers "Serverless in the Wild" publishes: one row per number,
 * with the tolerance within which a paper-shaped day must reproduce it. `near`: |ours - paper| <=
 * tolerance; `atLeast` / `atMost`: the paper states a bound ("90% at most 60 s") that ours must
 * keep, where the paper's own fit does not sit on the number. Used by `trace figures --json`, by
 * the test of `trace synth --like azure2019` and by the table in docs/traces.md.
 */
export interface PaperCheck {
  /** Stable key, e.g. `triggers.invocations.event`. */
  name: string;
  what: string;
  /** Where the paper gives it. */
  source: string;
  paper: number;
  ours: number | null;
  test: 'near' | 'atLeast' | 'atMost';
  tolerance: number;
  /** null when the trace has no data for it. */
  pass: boolean | null;
}

const P = AZURE2019_PAPER;
const burrQuantile = (q: number) =>
  P.memoryBurr.lambdaMb * ((1 - q) ** (-1 / P.memoryBurr.k) - 1) ** (1 / P.memoryBurr.c);

const TRIGGER_LABEL = {
  http: 'HTTP',
  queue: 'queue',
  event: 'event',
  timer: 'timer',
  orchestration: 'orchestration',
};

type Row = Omit<PaperCheck, 'ours' | 'pass'> & { get: (s: TraceStatistics) => number | null | undefined };

const ROWS: Row[] = [
  {
    name: 'functionsPerApp.one',
    what: 'apps with one function',
    source: 'Fig. 1',
    paper: P.functionsPerApp.one,
    test: 'near',
    tolerance: 0.03,
    get: (s) => s.functionsPerApp?.one,
  },
  {
    name: 'functionsPerApp.atMostTen',
    what: 'apps with at most 10 functions',
    source: 'Fig. 1',
    paper: 1 - P.functionsPerApp.elevenOrMore,
    test: 'near',
    tolerance: 0.02,
    get: (s) => s.functionsPerApp?.atMostTen,
  },
  ...(['http', 'queue', 'event', 'timer', 'orchestration'] as const).flatMap((t): Row[] => [
    {
      name: `triggers.functions.${t}`,
      what: `functions triggered by ${TRIGGER_LABEL[t]}`,
      source: 'Fig. 2(a)',
      paper: P.triggers[t].functions,
      test: 'near',
      tolerance: 0.01,
      get: (s) => (s.triggers ? (s.triggers.functions[t] ?? 0) : null),
    },
    {
      name: `triggers.invocations.${t}`,
      what: `invocations of ${TRIGGER_LABEL[t]} functions`,
      source: 'Fig. 2(a)',
      paper: P.triggers[t].invocations,
      test: 'near',
      // ±0.02, or a quarter of the share when that is less (timers carry 2%).
      tolerance: Math.min(0.02, 0.25 * P.triggers[t].invocations),
      get: (s) => (s.triggers ? (s.triggers.invocations[t] ?? 0) : null),
    },
  ]),
  {
    name: 'triggers.functions.storage+others',
    what: 'functions triggered by storage or others',
    source: 'Fig. 2(a)',
    paper: P.triggers.storage.functions + P.triggers.others.functions,
    test: 'near',
    tolerance: 0.01,
    get: (s) =>
      s.triggers ? (s.triggers.functions.storage ?? 0) + (s.triggers.functions.others ?? 0) : null,
  },
  {
    name: 'triggers.invocations.storage+others',
    what: 'invocations of storage and other functions',
    source: 'Fig. 2(a)',
    paper: P.triggers.storage.invocations + P.triggers.others.invocations,
    test: 'near',
    tolerance: 0.005,
    get: (s) =>
      s.triggers ? (s.triggers.invocations.storage ?? 0) + (s.triggers.invocations.others ?? 0) : null,
  },
  {
    name: 'triggers.appsWithHttp',
    what: 'apps with at least one HTTP trigger',
    source: 'Fig. 2(b)',
    paper: P.appsWithHttp,
    test: 'near',
    tolerance: 0.03,
    get: (s) => s.triggers?.appsWithHttp,
  },
  {
    name: 'triggers.appsWithTimer',
    what: 'apps with at least one timer trigger',
    source: 'Fig. 2(b)',
    paper: P.appsWithTimer,
    test: 'near',
    tolerance: 0.03,
    get: (s) => s.triggers?.appsWithTimer,
  },
  {
    name: 'rates.atMostHourly',
    what: 'apps invoked at most once an hour on average',
    source: 'Fig. 5',
    paper: P.appsAtMostHourly,
    test: 'near',
    tolerance: 0.03,
    get: (s) => (s.rates.of === 'apps' ? s.rates.atMostHourly : null),
  },
  {
    name: 'rates.atMostMinutely',
    what: 'apps invoked at most once a minute on average',
    source: 'Fig. 5',
    paper: P.appsAtMostMinutely,
    test: 'near',
    tolerance: 0.03,
    get: (s) => (s.rates.of === 'apps' ? s.rates.atMostMinutely : null),
  },
  {
    name: 'rates.atLeastMinutely',
    what: 'apps invoked at least once a minute on average',
    source: 'Figs. 4-5, text',
    paper: P.appsAtLeastMinutely,
    test: 'near',
    tolerance: 0.03,
    get: (s) => (s.rates.of === 'apps' ? s.rates.atLeastMinutely : null),
  },
  {
    name: 'rates.invocationsOfAtLeastMinutely',
    what: 'invocations carried by those apps',
    source: 'Figs. 4-5, text',
    paper: P.invocationsOfMinutelyApps,
    test: 'near',
    tolerance: 0.003,
    get: (s) => (s.rates.of === 'apps' ? s.rates.invocationsOfAtLeastMinutely : null),
  },
  {
    name: 'rates.ordersOfMagnitude',
    what: 'orders of magnitude between the least and most invoked app (paper: over two weeks; one day cannot go below 1 invocation)',
    source: 'Fig. 5',
    paper: P.rateOrdersOfMagnitude,
    test: 'atLeast',
    tolerance: 2,
    get: (s) => (s.rates.of === 'apps' ? s.rates.ordersOfMagnitude : null),
  },
  {
    name: 'hourly.baselineShare',
    what: 'quietest hour over the mean hour (the constant baseline)',
    source: 'Fig. 3',
    paper: P.baselineShare,
    test: 'near',
    tolerance: 0.1,
    get: (s) => s.hourly?.baselineShare,
  },
  {
    name: 'iatCv.appsAboveOne',
    what: 'apps (3 invocations or more) with an IAT coefficient of variation above 1',
    source: 'Fig. 6',
    paper: P.appsIatCvAboveOne,
    test: 'near',
    tolerance: 0.05,
    get: (s) => s.iatCv.appsAboveOne,
  },
  {
    name: 'executionTime.logMeanS',
    what: 'log-normal fit of average execution times: mean of ln(seconds)',
    source: 'Fig. 7',
    paper: P.executionTimeLogMeanS,
    test: 'near',
    tolerance: 0.1,
    get: (s) => s.executionTime?.logMeanS,
  },
  {
    name: 'executionTime.logSigmaS',
    what: 'log-normal fit: standard deviation of ln(seconds)',
    source: 'Fig. 7',
    paper: P.executionTimeLogSigmaS,
    test: 'near',
    tolerance: 0.1,
    get: (s) => s.executionTime?.logSigmaS,
  },
  {
    name: 'executionTime.underOneSecond',
    what: 'functions averaging under 1 s (the fit itself gives 0.56)',
    source: 'Fig. 7, text',
    paper: P.functionsUnderOneSecond,
    test: 'near',
    tolerance: 0.08,
    get: (s) => s.executionTime?.underOneSecond,
  },
  {
    name: 'executionTime.atMostMinute',
    what: 'functions averaging at most 60 s',
    source: 'Fig. 7, text',
    paper: P.functionsAtMostMinute,
    test: 'atLeast',
    tolerance: 0,
    get: (s) => s.executionTime?.atMostMinute,
  },
  {
    name: 'memory.medianMb',
    what: "median app memory, MB (the Burr fit's median)",
    source: 'Fig. 8',
    paper: burrQuantile(0.5),
    test: 'near',
    tolerance: 0.05 * burrQuantile(0.5),
    get: (s) => s.memory?.medianMb,
  },
  {
    name: 'memory.p90Mb',
    what: "90th percentile of app memory, MB (the Burr fit's)",
    source: 'Fig. 8',
    paper: burrQuantile(0.9),
    test: 'near',
    tolerance: 0.05 * burrQuantile(0.9),
    get: (s) => s.memory?.p90Mb,
  },
  {
    name: 'memory.atMost170Mb',
    what: 'apps allocating at most 170 MB',
    source: 'Fig. 8, text',
    paper: P.appsMemoryAtMost170Mb,
    test: 'atLeast',
    tolerance: 0,
    get: (s) => s.memory?.atMost170Mb,
  },
  {
    name: 'memory.atMost400Mb',
    what: 'apps allocating at most 400 MB',
    source: 'Fig. 8, text',
    paper: P.appsMemoryAtMost400Mb,
    test: 'atLeast',
    tolerance: 0,
    get: (s) => s.memory?.atMost400Mb,
  },
];

/**
 * Each published number beside the trace's. `atLeast` passes when ours >= paper - tolerance,
 * `atMost` when ours <= paper + tolerance.
 */
export function paperChecks(stats: TraceStatistics): PaperCheck[] {
  return ROWS.map(({ get, ...row }) => {
    const value = get(stats);
    const ours = value === undefined || value === null || Number.isNaN(value) ? null : value;
    let pass: boolean | null = null;
    if (ours !== null) {
      if (row.test === 'near') pass = Math.abs(ours - row.paper) <= row.tolerance;
      else if (row.test === 'atLeast') pass = ours >= row.paper - row.tolerance;
      else pass = ours <= row.paper + row.tolerance;
    }
    return { ...row, ours, pass };
  });
}

/** The checks as a Markdown table (docs/traces.md). */
export function paperTable(checks: readonly PaperCheck[]): string {
  const fmt = (x: number) =>
    Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3);
  const bound = (c: PaperCheck) =>
    c.test === 'near'
      ? `± ${fmt(c.tolerance)}`
      : c.test === 'atLeast'
        ? `≥ ${fmt(c.paper - c.tolerance)}`
        : `≤ ${fmt(c.paper + c.tolerance)}`;
  const lines = [
    '| statistic | source | paper | ours | check |',
    '|---|---|---:|---:|---|',
    ...checks.map(
      (c) =>
        `| ${c.what} | ${c.source} | ${fmt(c.paper)} | ${c.ours === null ? 'n/a' : fmt(c.ours)} | ${bound(c)}${c.pass === null ? '' : c.pass ? ' ✓' : ' ✗'} |`,
    ),
  ];
  return lines.join('\n');
}
