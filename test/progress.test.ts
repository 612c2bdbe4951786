import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LiveSnapshot } from '../src/dispatch/live.js';
import { formatProgress, startProgress } from '../src/report/progress.js';

const snapshot: LiveSnapshot = {
  elapsedS: 12.34,
  requested: 2500,
  sent: 2468,
  completed: 2400,
  inFlight: 68,
  errors: 3,
  dropped: 1,
  latenessP99Us: 412,
  achievedPerS: 1999.6,
  requestedPerS: 2000,
};

describe('progress', () => {
  it('shows elapsed and planned time, counts, lateness p99 and the rate against the plan', () => {
    assert.equal(
      formatProgress(snapshot, 120_000, 60),
      '12.3/60.0 s  sent 2,468/120,000  in flight 68  errors 3  dropped 1  lateness p99 0.41 ms  2,000/s of 2,000/s',
    );
    assert.match(formatProgress({ ...snapshot, latenessP99Us: null }, 1, 1), /lateness p99 -/);
  });

  it('redraws one line on a terminal and clears it at the end; logs whole lines otherwise', async () => {
    for (const tty of [true, false]) {
      let out = '';
      const p = startProgress({
        target: { tty, write: (t) => (out += t) },
        snapshot: () => snapshot,
        planned: 10,
        spanS: 1,
        everyMs: 20,
      });
      await sleep(90);
      p.stop();
      const lines = out.split(tty ? '\r\x1b[K' : '\n').filter((l) => l !== '');
      assert.ok(lines.length >= 2, `${lines.length} updates`);
      assert.ok(
        lines.every((l) => l.startsWith('12.3/1.0 s')),
        JSON.stringify(out),
      );
      if (tty) assert.ok(out.endsWith('\r\x1b[K'), 'the line is cleared at the end');
      else assert.ok(!out.includes('\r'));
    }
  });
});
