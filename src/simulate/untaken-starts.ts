/**
 * The cold starts a run made that no invocation waited out: on the embedded platform an
 * invocation whose own start is under way takes an instance of its function that frees first
 * (wait_reason instance_busy), and the start it asked for ends later and goes idle. Its row has
 * no init_ms, so a model that gave it the median start would see that start end sooner, and
 * often before the instance frees: a cold start the run did not have. Each such start's length
 * is read back from instance_events: its `started` row (written when /init answered) minus the
 * invocation's send time.
 *
 * Arrow gives the timestamps as epoch ms (fractional). Matching: per target, the started instances that served no cold invocation, in order of
 * readiness, against its instance_busy invocations in order of sending; each invocation takes
 * the first unmatched start that became ready after it was sent. Runs without instance_events
 * (older runs, other platforms) give nothing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import type { WaitReason } from '../platforms/types.js';

const TAKEN_BY_ANOTHER: WaitReason = 'instance_busy';

/** Per invocation seq: how long the start it asked for took, ms. */
export async function untakenStartsMs(dir: string, invocations: Table): Promise<Map<number, number>> {
  const path = join(dir, 'instance_events.parquet');
  if (!existsSync(path)) return new Map();
  return matchUntakenStarts(invocations, tableFromIPC(readParquet(await readFile(path)).intoIPCStream()));
}

/** untakenStartsMs on tables already read: invocations and instance_events (timestamps in ms). */
export function matchUntakenStarts(invocations: Table, events: Table): Map<number, number> {
  const out = new Map<number, number>();
  const col = (t: Table, name: string) => t.getChild(name);
  const seq = col(invocations, 'seq');
  const target = col(invocations, 'target');
  const cold = col(invocations, 'cold_start');
  const reason = col(invocations, 'wait_reason');
  const instance = col(invocations, 'instance_id');
  const sent = col(invocations, 'sent_at');
  const eAt = col(events, 'at');
  const eTarget = col(events, 'target');
  const eEvent = col(events, 'event');
  const eInstance = col(events, 'instance_id');
  if (!seq || !target || !cold || !reason || !instance || !sent || !eAt || !eTarget || !eEvent || !eInstance)
    return out;

  const servedCold = new Set<string>();
  const waiting = new Map<string, { seq: number; sentMs: number }[]>();
  for (let r = 0; r < invocations.numRows; r++) {
    if (cold.get(r) === true) servedCold.add(String(instance.get(r)));
    else if (reason.get(r) === TAKEN_BY_ANOTHER && sent.get(r) !== null) {
      const list = waiting.get(String(target.get(r))) ?? [];
      list.push({ seq: Number(seq.get(r)), sentMs: Number(sent.get(r)) });
      waiting.set(String(target.get(r)), list);
    }
  }
  const untaken = new Map<string, number[]>();
  for (let r = 0; r < events.numRows; r++) {
    if (eEvent.get(r) !== 'started' || servedCold.has(String(eInstance.get(r)))) continue;
    const list = untaken.get(String(eTarget.get(r))) ?? [];
    list.push(Number(eAt.get(r)));
    untaken.set(String(eTarget.get(r)), list);
  }
  for (const [name, calls] of waiting) {
    const readyMs = (untaken.get(name) ?? []).sort((a, b) => a - b);
    calls.sort((a, b) => a.sentMs - b.sentMs);
    let next = 0;
    for (const call of calls) {
      while (next < readyMs.length && (readyMs[next] ?? 0) <= call.sentMs) next++;
      const ready = readyMs[next];
      if (ready === undefined) break;
      out.set(call.seq, ready - call.sentMs);
      next++;
    }
  }
  return out;
}
