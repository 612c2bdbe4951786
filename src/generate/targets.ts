/**
 * What a platform's result says about one execution, read through typed guards instead of a cast
 * to one platform's result type: every platform gives its InvocationResult fields (times, cold
 * start, ids; Lambda its billed time and peak memory), and those that hand back the action's
 * answer (the embedded platform, OpenWhisk) also give the targets the measured wrapper put in it
 * (action-code.ts). Anything a platform does not give stays undefined (null in the row).
 */
import type { InvocationResult } from '../platforms/types.js';
import { TARGETS_FIELD } from './action-code.js';

/**
 * The optional capability of a platform result: the action's JSON answer. The embedded
 * platform's results have it (LocalInvocationResult.result), and OpenWhisk's when the activation
 * record carries response.result. Defined here, minimally, for generate's needs.
 */
export interface CarriesActionAnswer {
  result?: unknown;
}

/**
 * The optional capability of an embedded platform's result: the peak of the instance's memory
 * cgroup during the execution (LocalInvocationResult.cgroupPeakBytes; the process runtime with a
 * cgroup per instance).
 */
export interface CarriesCgroupPeak {
  cgroupPeakBytes?: number;
}

type Dict = Record<string, unknown>;
const isDict = (x: unknown): x is Dict => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The action's answer, when the result carries one that is a JSON object. */
export function actionAnswerOf(r: InvocationResult & CarriesActionAnswer): Dict | undefined {
  return isDict(r.result) ? r.result : undefined;
}

/** The execution's own figures, measured inside its instance (see action-code.ts). */
export interface ExecutionTargets {
  functionMs?: number;
  computeMs?: number;
  cpuUserUs?: number;
  cpuSystemUs?: number;
  peakRssBytes?: number;
  peakRssDeltaBytes?: number;
  peakRssMethod?: string;
  minorFaults?: number;
  majorFaults?: number;
  voluntaryContextSwitches?: number;
  involuntaryContextSwitches?: number;
  blockReadBytes?: number;
  blockWriteBytes?: number;
  checksum?: string;
}

const num = (d: Dict, k: string): number | undefined => {
  const v = d[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
};

/** The targets in an answer; {} when it has none (a platform without answers, an unwrapped action). */
export function targetsOf(answer: Dict | undefined): ExecutionTargets {
  if (answer === undefined) return {};
  const t = answer[TARGETS_FIELD];
  const timings = answer.timings;
  const out: ExecutionTargets = {};
  if (isDict(timings)) {
    const c = num(timings, 'computeMs');
    if (c !== undefined) out.computeMs = c;
  }
  if (typeof answer.checksum === 'string') out.checksum = answer.checksum;
  if (!isDict(t)) return out;
  for (const k of [
    'functionMs',
    'cpuUserUs',
    'cpuSystemUs',
    'peakRssBytes',
    'peakRssDeltaBytes',
    'minorFaults',
    'majorFaults',
    'voluntaryContextSwitches',
    'involuntaryContextSwitches',
    'blockReadBytes',
    'blockWriteBytes',
  ] as const) {
    const v = num(t, k);
    if (v !== undefined) out[k] = v;
  }
  if (typeof t.peakRssMethod === 'string') out.peakRssMethod = t.peakRssMethod;
  return out;
}
