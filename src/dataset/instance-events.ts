/**
 * instance_events: one row per lifecycle event of an embedded-platform instance (started,
 * evicted for room, keep-alive expired, crashed, discarded, teardown, with the reason), heard on
 * the platform's lifecycle channel (embedded/local/instance-channel.ts) from whatever thread the
 * platform runs in. recordInstanceEvents() subscribes before deploy; close() after teardown.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { LIFECYCLE_CHANNEL, type LifecycleAnnouncement } from '../embedded/local/instance-channel.js';
import type { ColumnSpec } from './columns.js';
import type { TableFact } from './manifest.js';
import { TableWriter } from './table-writer.js';

/** Bumped whenever a column is added, removed or changes meaning. */
export const INSTANCE_EVENTS_SCHEMA_VERSION = '1';

export const INSTANCE_EVENTS_COLUMNS = [
  { name: 'at', kind: 'timestamp_us', nullable: false, doc: 'when the platform decided it (UTC, µs)' },
  { name: 'instance_id', kind: 'utf8', nullable: false, doc: "the instance (invocations' instance_id)" },
  { name: 'target', kind: 'utf8', nullable: false, doc: 'the action name of its function' },
  {
    name: 'event',
    kind: 'utf8',
    nullable: false,
    doc: 'started | evicted_for_room (idle, least recently used) | keep_alive_expired | crashed (ended on its own) | discarded (after a failure, timeout, abort or redeploy) | teardown',
  },
  {
    name: 'reason',
    kind: 'utf8',
    nullable: false,
    doc: 'why, in words (e.g. "room for 256 MB", "out of memory")',
  },
  {
    name: 'memory_limit_mb',
    kind: 'int64',
    nullable: false,
    doc: "the instance's memory limit (its size class), MB",
  },
] as const satisfies readonly ColumnSpec[];

export interface InstanceEventsRecorder {
  /** Stops listening (after a last turn for messages in flight) and writes the table. */
  close(): Promise<TableFact>;
}

export function recordInstanceEvents(dir: string, runId: string): InstanceEventsRecorder {
  const writer = new TableWriter({
    dir,
    name: 'instance_events',
    columns: INSTANCE_EVENTS_COLUMNS,
    metadata: { 'faasload.schema_version': INSTANCE_EVENTS_SCHEMA_VERSION, 'faasload.run_id': runId },
  });
  const channel = new BroadcastChannel(LIFECYCLE_CHANNEL);
  channel.unref();
  channel.onmessage = (e: object) => {
    if (!('data' in e)) return;
    const m = e.data as LifecycleAnnouncement;
    writer.add([
      {
        at: m.atUs,
        instance_id: m.id,
        target: m.functionName,
        event: m.event,
        reason: m.reason,
        memory_limit_mb: m.memoryLimitMb,
      },
    ]);
  };
  return {
    async close() {
      // Messages posted before the platform's teardown resolved are delivered by now or next turn.
      await new Promise((resolve) => setTimeout(resolve, 50));
      channel.close();
      const table = await writer.close();
      return {
        file: table.file,
        rows: table.rows,
        schemaVersion: INSTANCE_EVENTS_SCHEMA_VERSION,
        columns: INSTANCE_EVENTS_COLUMNS,
      };
    },
  };
}
