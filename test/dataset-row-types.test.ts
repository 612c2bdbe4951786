/**
 * Rows typed from their schemas (RowOf in src/dataset/columns.ts): a writer of a schema written
 * `as const satisfies readonly ColumnSpec[]` takes only rows with its columns. The type checks are
 * the `@ts-expect-error` lines: tsc fails the build if one of them stops being an error (a
 * misspelled column accepted again). The runtime part writes typed rows and reads them back.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AnyRow, ColumnSpec, RowOf } from '../src/dataset/columns.js';
import { type InvocationRow, invocationRow } from '../src/dataset/invocations.js';
import { TableWriter } from '../src/dataset/table-writer.js';
import type { TimelineRow } from '../src/dataset/timeline.js';
import { PLAN_COLUMNS, type PlanRow } from '../src/run/schedule.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

/** True when A and B are the same type (both ways assignable, no any). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const same = <A, B>(_proof: Same<A, B>): void => undefined;

test('a schema types its rows: kinds, nullability, and no column missing or misspelled', async () => {
  // Kinds and nullability, from the schemas.
  same<InvocationRow['seq'], number>(true);
  same<InvocationRow['outcome'], string>(true);
  same<InvocationRow['cold_start'], boolean | null | undefined>(true);
  same<InvocationRow['failure'], string | null | undefined>(true);
  same<TimelineRow['lateness_p99_us'], number | null | undefined>(true);
  // A schema known only as ColumnSpec[] takes any row, as before.
  same<RowOf<readonly ColumnSpec[]>, AnyRow>(true);

  const ok: PlanRow = {
    seq: 0,
    function: 'f',
    scheduled_us: 5,
    requested_duration_ms: 12.5,
    requested_memory_mb: null,
  };
  const misspelled: PlanRow = {
    ...ok,
    // @ts-expect-error: a misspelled column is refused (it would have been written as a null)
    requested_memroy_mb: 128,
  };
  // @ts-expect-error: a column missing from a row is refused
  const missing: PlanRow = { seq: 1, function: 'f', scheduled_us: 6, requested_duration_ms: null };
  // @ts-expect-error: a text in a number column is refused
  const wrongKind: PlanRow = { ...ok, scheduled_us: '7' };
  // @ts-expect-error: null in a column that is not nullable is refused
  const notNull: PlanRow = { ...ok, function: null };

  const dir = await mkdtemp(join(tmpdir(), 'faasload-row-types-'));
  const writer = new TableWriter({ dir, name: 'plan', columns: PLAN_COLUMNS });
  writer.add([ok, { ...ok, seq: 1, requested_memory_mb: 256 }]);
  // @ts-expect-error: the writer of a typed schema takes only its rows
  writer.add([{ seq: 2, function: 'f', scheduled_us: 7, requested_duration_ms: null, memory: 1 }]);
  await writer.close();
  const rows = rowsOf(await readParquetTable(join(dir, 'plan.parquet')));
  assert.deepEqual(
    rows.map((r) => [Number(r.seq), r.function, Number(r.scheduled_us), r.requested_memory_mb]),
    [
      [0, 'f', 5, null],
      [1, 'f', 5, 256],
      [2, 'f', 7, null],
    ],
  );
  // The refused rows above exist only for the compiler.
  assert.equal([misspelled, missing, wrongKind, notNull].length, 4);
  assert.equal(
    invocationRow(
      {
        arrival: { seq: 3, fn: 0, atUs: 0 },
        scheduledAtUs: 1,
        firedAtUs: 2,
        phase: 'measure',
        result: { outcome: 'ok', sentAtUs: 3, endedAtUs: 9 },
      },
      [{ id: 'f', name: 'f' }],
    ).latency_us,
    6,
  );
});
