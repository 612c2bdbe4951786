import { createRunDir, makeRunId } from '../run-dir.js';

/**
 * A run's id (its start time and trace name, then `suffix`) and its folder, made new (see
 * createRunDir): replay's and simulate's first step on disk.
 */
export async function openRunFolder(o: {
  trace: string;
  startedAt: Date;
  out: string | undefined;
  resultsDir: string;
  suffix?: string;
}): Promise<{ runId: string; dir: string }> {
  const runId = `${makeRunId(o.trace, o.startedAt)}${o.suffix ?? ''}`;
  return { runId, dir: await createRunDir(o.out, o.resultsDir, runId) };
}
