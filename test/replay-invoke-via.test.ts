/**
 * --invoke-via: a replay of the Azure 2019 sample's first minute on an OpenWhisk (the embedded
 * server, process runtime) fires the functions whose trace trigger is timer, queue or event
 * through triggers and invokes the others; the share of trigger-fired rows is the trace's share
 * of those invocations, read here from the CSV itself. On a platform without triggers, auto is
 * direct with a warning and `trigger` is refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type OpenWhiskServer, startOpenWhiskServer } from '../src/embedded/openwhisk-server/index.js';
import { runCli } from './helpers/cli.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';
import { AZURE2019_DIR } from './helpers/paths.js';

/** Invocations in the trace's first minute: by trigger, and which functions have which trigger. */
function firstMinute(): { total: number; byEvent: number; triggers: Map<string, string> } {
  const lines = readFileSync(join(AZURE2019_DIR, 'invocations.csv'), 'utf8').trim().split('\n');
  let total = 0;
  let byEvent = 0;
  const triggers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const n = Number(cells[4]);
    total += n;
    if (['timer', 'queue', 'event'].includes(cells[3]!)) byEvent += n;
    triggers.set(cells[2]!, cells[3]!);
  }
  return { total, byEvent, triggers };
}

const WINDOW = ['--to', '1m', '--speed', '10', '--max-duration', '20ms', '--seed', '7'];

let server: OpenWhiskServer;
let dir: string;
before(async () => {
  server = await startOpenWhiskServer({ port: 0, runtime: 'process', keepAliveMs: 60_000 });
  dir = await mkdtemp(join(tmpdir(), 'faasload-via-'));
});
after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('--invoke-via', { timeout: 180_000 }, () => {
  it('auto fires the timer, queue and event functions through triggers, in the trace share', async () => {
    const out = join(dir, 'auto');
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...WINDOW,
      ...[
        '--invoke-via',
        'auto',
        '--platform',
        'openwhisk',
        '--apihost',
        server.apiHost,
        '--auth',
        server.auth,
      ],
      ...['--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    const trace = firstMinute();
    assert.equal(rows.length, trace.total, 'one row per planned invocation of the minute');
    const notOk = rows.filter((x) => x.outcome !== 'ok');
    assert.equal(notOk.length, 0, JSON.stringify(notOk[0]));
    const fired = rows.filter((x) => x.invoked_via === 'trigger');
    assert.equal(
      fired.length,
      trace.byEvent,
      'trigger-fired rows = the trace invocations of timer/queue/event functions',
    );
    assert.equal(rows.filter((x) => x.invoked_via === 'direct').length, trace.total - trace.byEvent);
    assert.ok(trace.byEvent > 0 && trace.byEvent < trace.total, 'the minute has both kinds');
    for (const x of rows) {
      const hash = String(x.function).split('/').at(-1)!;
      const trigger = [...trace.triggers].find(([h]) => String(x.function).includes(h))?.[1];
      assert.ok(trigger !== undefined, `no trace trigger for ${hash}`);
      const event = ['timer', 'queue', 'event'].includes(trigger);
      assert.equal(x.invoked_via, event ? 'trigger' : 'direct', `${x.function} (${trigger})`);
      if (event) {
        assert.match(String(x.trigger_activation_id), /^[0-9a-f]{32}$/);
        assert.notEqual(x.trigger_activation_id, x.activation_id);
        assert.ok((x.trigger_ms as number) >= 0);
      } else {
        assert.equal(x.trigger_activation_id, null);
        assert.equal(x.trigger_ms, null);
      }
    }
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.config.invokeVia, 'auto');
  });

  it('auto on a platform without triggers invokes directly and says so; trigger is refused', async () => {
    const out = join(dir, 'local');
    const r = await runCli([
      'replay',
      AZURE2019_DIR,
      ...['--to', '10s', '--speed', '10', '--max-duration', '20ms', '--functions', '5'],
      ...['--invoke-via', 'auto', '--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = rowsOf(await readParquetTable(join(out, 'invocations.parquet')));
    assert.ok(rows.length > 0);
    assert.ok(rows.every((x) => x.invoked_via === 'direct'));
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    assert.ok(
      manifest.warnings.some((w: string) => /--invoke-via auto: platform 'local' has no triggers/.test(w)),
      manifest.warnings.join('\n'),
    );

    const refused = await runCli([
      'replay',
      AZURE2019_DIR,
      ...['--to', '10s', '--functions', '5', '--invoke-via', 'trigger', '--out', join(dir, 'refused')],
    ]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /--invoke-via trigger: platform 'local' has no triggers/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
  });
});
