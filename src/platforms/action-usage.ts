/**
 * What an action's result says its call cost, for the platforms that hand back the result (the
 * embedded platform, OpenWhisk): faasload's synthetic function returns `cpuMs`; the catalog
 * functions return `usage` with user and system CPU time in microseconds (workload/entry.ts).
 * Other functions report nothing, and the column stays null.
 */
export function reportedCpuMs(result: unknown): number | undefined {
  if (!isDict(result)) return undefined;
  if (typeof result.cpuMs === 'number' && Number.isFinite(result.cpuMs)) return result.cpuMs;
  const usage = result.usage;
  if (!isDict(usage)) return undefined;
  const { cpuUserUs, cpuSystemUs } = usage;
  return typeof cpuUserUs === 'number' && typeof cpuSystemUs === 'number'
    ? (cpuUserUs + cpuSystemUs) / 1000
    : undefined;
}

function isDict(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
