/**
 * The code a generation deploys for a function: its action (a catalog entry's, or a user
 * folder's entry file) wrapped so that every answer carries the execution's own targets under
 * `__faasload` (ExecutionTargets, read back by targets.ts). Measured inside the instance, around
 * the call to the function's main only (not the proxy, not the HTTP exchange):
 *
 * - functionMs: wall time of main (performance.now()).
 * - cpuUserUs, cpuSystemUs: process.cpuUsage() over the call.
 * - peakRssBytes: the process's peak resident set during the call. Before the call the wrapper
 *   runs a full garbage collection, array buffers swept inside it (V8's
 *   --no-concurrent-array-buffer-sweeping, set in the instance), so that the garbage of earlier
 *   executions is not counted (outside the measured window; one runs after the call too, so
 *   that the platform's reset of the instance cgroup's peak before the next /run starts clean);
 *   then it resets the kernel's peak (echo 5 > /proc/self/clear_refs, Linux >= 4.0); after,
 *   getrusage's ru_maxrss is that execution's peak (peakRssMethod 'reset'). Where
 *   the reset is refused, the peak is known only when the call raised the process's peak
 *   ('raised'), else null ('unknown'). peakRssDeltaBytes: that peak minus the resident set at the
 *   call's start.
 * - minorFaults, majorFaults, voluntary/involuntary context switches: getrusage deltas.
 * - blockReadBytes, blockWriteBytes: /proc/self/io read_bytes/write_bytes deltas (storage I/O
 *   the call caused), else getrusage's block counts x 512.
 * - Network bytes are not measured: instances share the host's network namespace, whose counters
 *   are the whole host's (null in the row).
 *
 * Exact when an instance runs one execution at a time (the default); with concurrency above 1 the
 * process-wide figures mix overlapping executions.
 *
 * A user function's input is made inside the action from (seed, size) by the catalog's
 * generators (workload/prelude.ts), so that no input crosses HTTP and the bytes equal the
 * dataset's input id; main gets `{...params, input: {kind, seed, size, sizeBytes, shape, data}}` where data is a Buffer (bytes, text, records: JSON text), RGBA pixels (image) or
 * {a, b} Float64Arrays (matrices).
 */
import { PRELUDE_JS } from '../workload/prelude.js';
import type { InputKind } from '../workload/types.js';
import type { ParamColumnType } from './plan.js';

/** The name of the field of every answer that holds the targets. */
export const TARGETS_FIELD = '__faasload';

const MEASURE_JS = String.raw`
const __faasloadMeasure = (() => {
  const fs = require('node:fs');
  const v8 = require('node:v8');
  const vm = require('node:vm');
  let gc;
  try {
    v8.setFlagsFromString('--expose-gc');
    // Large buffers are freed inside the collection rather than later on a background thread.
    v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
    gc = vm.runInNewContext('gc');
  } catch {
    gc = undefined;
  }
  const readIo = () => {
    try {
      const text = fs.readFileSync('/proc/self/io', 'latin1');
      const r = /^read_bytes: (\d+)$/m.exec(text);
      const w = /^write_bytes: (\d+)$/m.exec(text);
      return r && w ? { read: Number(r[1]), write: Number(w[1]) } : undefined;
    } catch {
      return undefined;
    }
  };
  const resetPeak = () => {
    try {
      fs.writeFileSync('/proc/self/clear_refs', '5');
      return true;
    } catch {
      return false;
    }
  };
  return async function measure(call) {
    if (gc) gc();
    const reset = resetPeak();
    const rssStart = process.memoryUsage.rss();
    const io0 = readIo();
    const ru0 = process.resourceUsage();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await call();
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    const ru1 = process.resourceUsage();
    const io1 = readIo();
    // And after: what this execution leaves is freed before the platform resets the instance
    // cgroup's peak for the next one (which happens before the next /run reaches this code).
    if (gc) gc();
    const raised = ru1.maxRSS > ru0.maxRSS;
    const peak = reset || raised ? ru1.maxRSS * 1024 : null;
    return {
      result,
      targets: {
        functionMs: t1 - t0,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        peakRssBytes: peak,
        peakRssDeltaBytes: peak === null ? null : Math.max(0, peak - rssStart),
        peakRssMethod: reset ? 'reset' : raised ? 'raised' : 'unknown',
        gcBefore: gc !== undefined,
        minorFaults: ru1.minorPageFault - ru0.minorPageFault,
        majorFaults: ru1.majorPageFault - ru0.majorPageFault,
        voluntaryContextSwitches: ru1.voluntaryContextSwitches - ru0.voluntaryContextSwitches,
        involuntaryContextSwitches: ru1.involuntaryContextSwitches - ru0.involuntaryContextSwitches,
        blockReadBytes: io0 && io1 ? io1.read - io0.read : (ru1.fsRead - ru0.fsRead) * 512,
        blockWriteBytes: io0 && io1 ? io1.write - io0.write : (ru1.fsWrite - ru0.fsWrite) * 512,
      },
    };
  };
})();
`;

/** The answer: the function's own result (a copy) with the targets beside it. */
const ANSWER_JS = `
  const answer = measured.result !== null && typeof measured.result === 'object' && !Array.isArray(measured.result)
    ? { ...measured.result } : { value: measured.result };
  answer.${TARGETS_FIELD} = measured.targets;
  return answer;
`;

/** The user's source as a module of its own: its main (declared, or module.exports.main). */
function userModule(code: string): string {
  return `const __faasloadUserMain = (() => {
const module = { exports: {} };
const exports = module.exports;
${code}
;return typeof main === 'function' ? main : module.exports.main;
})();
if (typeof __faasloadUserMain !== 'function') throw new Error('the function defines no main (function main, or exports.main)');
`;
}

/** A catalog action, measured: its own main is called with the /run value unchanged. */
export function measuredCatalogCode(code: string): string {
  return `${userModule(code)}${MEASURE_JS}
async function main(value) {
  const measured = await __faasloadMeasure(() => __faasloadUserMain(value));
${ANSWER_JS}}
`;
}

/**
 * A user action, measured: the /run value's `seed` and `size` make the input (of `generator`),
 * the other values are its parameters, converted back to their plan types (platforms may carry
 * them as strings).
 */
export function measuredUserCode(
  code: string,
  generator: InputKind,
  paramTypes: Readonly<Record<string, ParamColumnType>>,
): string {
  return `${PRELUDE_JS}
const __faasloadGenerator = ${JSON.stringify(generator)};
const __faasloadParamTypes = ${JSON.stringify(paramTypes)};
${userModule(code)}${MEASURE_JS}
function __faasloadParam(type, v) {
  if (type === 'int64' || type === 'float64') return typeof v === 'number' ? v : Number(v);
  if (type === 'bool') return v === true || v === 'true';
  return String(v);
}
function __faasloadInput(seed, size) {
  switch (__faasloadGenerator) {
    case 'bytes': { const data = genBytes(seed, size); return { data, shape: [data.length] }; }
    case 'text': { const data = genText(seed, size); return { data, shape: [data.length] }; }
    case 'records': return { data: genRecords(seed, size), shape: [size] };
    case 'image': return { data: genImage(seed, size, 'mixed').data, shape: [size, size, 4] };
    case 'matrices':
      return { data: { a: genMatrix(seed, size, STREAM_MATRIX_A), b: genMatrix(seed, size, STREAM_MATRIX_B) }, shape: [2, size, size] };
    default: return { data: null, shape: [] };
  }
}
async function main(value) {
  const params = {};
  for (const [k, type] of Object.entries(__faasloadParamTypes)) {
    if (value[k] !== undefined) params[k] = __faasloadParam(type, value[k]);
  }
  const seed = Number(value.seed) >>> 0;
  const size = Number(value.size);
  const made = __faasloadInput(seed, size);
  const sizeBytes = made.data === null ? 0 : made.data.a ? 16 * size * size : made.data.length;
  const input = { kind: __faasloadGenerator, seed, size, sizeBytes, shape: made.shape, data: made.data };
  const measured = await __faasloadMeasure(() => __faasloadUserMain({ ...params, input }));
${ANSWER_JS}}
`;
}
