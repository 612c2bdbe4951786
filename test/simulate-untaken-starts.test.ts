import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tableFromArrays } from 'apache-arrow';
import { matchUntakenStarts } from '../src/simulate/untaken-starts.js';

// A function f whose first call starts f-1 (cold); calls 1 and 2 each ask for a start (f-2, f-3)
// but take an instance that freed first (instance_busy); g's start served its own call.
const invocations = tableFromArrays({
  seq: [0, 1, 2, 3],
  target: ['f', 'f', 'f', 'g'],
  cold_start: [true, false, false, true],
  wait_reason: ['none', 'instance_busy', 'instance_busy', 'none'],
  instance_id: ['f-1', 'f-1', 'f-2', 'g-1'],
  sent_at: [1_000, 2_000, 2_100, 2_200],
});
const events = tableFromArrays({
  at: [1_500, 3_600, 2_900, 2_500, 9_000],
  instance_id: ['f-1', 'f-3', 'f-2', 'g-1', 'f-2'],
  target: ['f', 'f', 'f', 'g', 'f'],
  event: ['started', 'started', 'started', 'started', 'keep_alive_expired'],
});

test('a start no invocation waited out is given to the instance_busy call that asked for it', () => {
  const starts = matchUntakenStarts(invocations, events);
  // f-2 (ready at 2,900) and f-3 (3,600) served no cold call: calls 1 and 2, in order of sending.
  assert.deepEqual(
    [...starts.entries()],
    [
      [1, 900],
      [2, 1_500],
    ],
  );
});

test('a start ready before the call was sent is not that call`s', () => {
  const early = tableFromArrays({
    at: [1_500, 1_900],
    instance_id: ['f-1', 'f-2'],
    target: ['f', 'f'],
    event: ['started', 'started'],
  });
  assert.equal(matchUntakenStarts(invocations, early).size, 0);
});
