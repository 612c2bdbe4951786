/**
 * Lambda's own view of one execution, from the log tail (X-Amz-Log-Result: the last 4 KB of the
 * execution log, base64) of a RequestResponse invoke with LogType Tail. The platform writes one
 * REPORT line per invocation:
 *
 *   REPORT RequestId: 3f0c... Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 128 MB
 *   Max Memory Used: 70 MB Init Duration: 150.12 ms
 *
 * (tab-separated; Init Duration only on a cold start). Fields absent from the tail are undefined.
 */
export interface LambdaReport {
  requestId?: string;
  durationMs?: number;
  billedDurationMs?: number;
  memorySizeMb?: number;
  maxMemoryUsedMb?: number;
  /** Present only when this invocation started a new execution environment. */
  initDurationMs?: number;
}

const FIELDS: [keyof LambdaReport, RegExp][] = [
  ['durationMs', /\bDuration:\s*([\d.]+)\s*ms/],
  ['billedDurationMs', /Billed Duration:\s*([\d.]+)\s*ms/],
  ['memorySizeMb', /Memory Size:\s*([\d.]+)\s*MB/],
  ['maxMemoryUsedMb', /Max Memory Used:\s*([\d.]+)\s*MB/],
  ['initDurationMs', /Init Duration:\s*([\d.]+)\s*ms/],
];

/** Reads the last REPORT line of a decoded log tail. */
export function parseReport(log: string): LambdaReport | undefined {
  const line = log
    .split('\n')
    .filter((l) => l.startsWith('REPORT '))
    .at(-1);
  if (line === undefined) return undefined;
  const out: LambdaReport = {};
  const id = /RequestId:\s*([0-9A-Za-z-]+)/.exec(line);
  if (id) out.requestId = id[1]!;
  // 'Duration:' also matches inside 'Billed Duration:' and 'Init Duration:': take the first field.
  for (const [key, re] of FIELDS) {
    const text = key === 'durationMs' ? line.replace(/(Billed|Init) Duration:\s*[\d.]+\s*ms/g, '') : line;
    const m = re.exec(text);
    if (m) (out as Record<string, number>)[key] = Number(m[1]);
  }
  return out;
}

/** Decodes an X-Amz-Log-Result header (base64) and reads its REPORT line. */
export function reportFromHeader(header: string | undefined): LambdaReport | undefined {
  if (!header) return undefined;
  return parseReport(Buffer.from(header, 'base64').toString('utf8'));
}
