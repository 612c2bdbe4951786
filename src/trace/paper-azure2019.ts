/**
 * What "Serverless in the Wild" (Shahrad et al., USENIX ATC 2020, §3) publishes about one day of
 * Azure Functions, as numbers: the targets of `trace synth --like azure2019` and of the check that
 * compares a trace's statistics with the paper (src/report/paper-check.ts). Shares are fractions
 * in [0, 1]; rates are invocations per day. Each group names the figure it is read from.
 */
export const AZURE2019_PAPER = {
  /** Fig. 1: functions per app, share of apps by bucket (54% one function, 95% at most 10). */
  functionsPerApp: {
    one: 0.54,
    two: 0.16,
    three: 0.1,
    fourToFive: 0.08,
    sixToTen: 0.07,
    elevenOrMore: 0.05,
    hundredOrMore: 0.0004,
  },
  /**
   * Fig. 2(a): share of functions and of invocations per trigger group. The paper's storage and
   * others rows are small (about 5% of functions and 1% of invocations together); they are kept
   * apart here because the released trace names both groups.
   */
  triggers: {
    http: { functions: 0.55, invocations: 0.359 },
    queue: { functions: 0.152, invocations: 0.335 },
    event: { functions: 0.022, invocations: 0.247 },
    orchestration: { functions: 0.069, invocations: 0.023 },
    timer: { functions: 0.156, invocations: 0.02 },
    storage: { functions: 0.028, invocations: 0.007 },
    others: { functions: 0.022, invocations: 0.007 },
  },
  /** Fig. 2(b): share of apps with at least one HTTP, and one timer, trigger. */
  appsWithHttp: 0.64,
  appsWithTimer: 0.29,
  /**
   * Figs. 4 and 5 (§3.3): apps by average rate. 45% are invoked at most once an hour, 81% at most
   * once a minute; the 18.6% invoked at least once a minute carry 99.6% of the invocations; rates
   * span about 8 orders of magnitude (over the paper's two weeks).
   */
  appsAtMostHourly: 0.45,
  appsAtMostMinutely: 0.81,
  appsAtLeastMinutely: 0.186,
  invocationsOfMinutelyApps: 0.996,
  rateOrdersOfMagnitude: 8,
  /** Fig. 3: the platform's hourly volume is about half a constant baseline, a diurnal cycle on top. */
  baselineShare: 0.5,
  /** Fig. 6: share of apps whose inter-arrival times have a coefficient of variation above 1. */
  appsIatCvAboveOne: 0.4,
  /**
   * Fig. 7: per-function average execution time, log-normal fit in seconds; 50% of functions
   * average under 1 s, 90% at most 60 s.
   */
  executionTimeLogMeanS: -0.38,
  executionTimeLogSigmaS: 2.36,
  functionsUnderOneSecond: 0.5,
  functionsAtMostMinute: 0.9,
  /**
   * Fig. 8: per-app average allocated memory, Burr XII fit (MB): CDF 1 - (1 + (x/λ)^c)^-k. Half the
   * apps allocate at most 170 MB, 90% at most 400 MB.
   */
  memoryBurr: { c: 11.652, k: 0.221, lambdaMb: 107.083 },
  appsMemoryAtMost170Mb: 0.5,
  appsMemoryAtMost400Mb: 0.9,
  /** The released trace: about 46,000 functions in a day's file. */
  functions: 46_000,
} as const;

export type PaperTrigger = keyof typeof AZURE2019_PAPER.triggers;
