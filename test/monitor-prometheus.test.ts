/**
 * The Prometheus monitor against a real HTTP server on 127.0.0.1 serving a fixed exposition
 * (labels with escapes, a histogram, NaN and infinities, timestamps), read back from Parquet; an
 * endpoint that goes down and comes back is a gap, closed; the parser on malformed lines.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { labelsJson, parseExposition } from '../src/monitor/exposition.js';
import { PrometheusMonitor } from '../src/monitor/prometheus.js';
import { readParquetTable, rowsOf } from './helpers/parquet.js';

const EXPOSITION = [
  '# HELP http_requests_total The total number of HTTP requests, with a \\\\ and a \\n in its help.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  '',
  '# Escaping in label values:',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  '# A metric without labels, NaN and infinities:',
  'metric_without_timestamp_and_labels 12.47',
  'weird_values{kind="nan"} NaN',
  'weird_values{kind="pinf"} +Inf',
  'weird_values{kind="ninf",} -Inf',
  '# TYPE http_request_duration_seconds histogram',
  'http_request_duration_seconds_bucket{le="0.05"} 24054',
  'http_request_duration_seconds_bucket{le="0.1"} 33444',
  'http_request_duration_seconds_bucket{le="+Inf"} 144320',
  'http_request_duration_seconds_sum 53423',
  'http_request_duration_seconds_count 144320',
  '# TYPE rpc_duration_seconds summary',
  'rpc_duration_seconds{quantile="0.99"} 76656',
  'rpc_duration_seconds_sum 1.7560473e+07',
  'rpc_duration_seconds_count 2693',
  '# TYPE temperature gauge',
  'temperature { room = "kitchen" } -3.5e-1',
  '',
].join('\n');

describe('Prometheus exposition parser', () => {
  test('labels, escapes, types, special values and timestamps', () => {
    const { samples, errors } = parseExposition(EXPOSITION);
    assert.deepEqual(errors, []);
    assert.equal(samples.length, 16);
    const find = (metric: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.metric === metric && labelsJson(s.labels) === labelsJson(labels));
    const post200 = find('http_requests_total', { method: 'post', code: '200' })!;
    assert.equal(post200.value, 1027);
    assert.equal(post200.type, 'counter');
    assert.equal(post200.timestampMs, 1395066363000);
    const msdos = find('msdos_file_access_time_seconds', {
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    assert.ok(msdos, 'escaped label values are unescaped');
    assert.equal(msdos.value, 1.458255915e9);
    assert.equal(msdos.type, 'untyped');
    assert.ok(Number.isNaN(find('weird_values', { kind: 'nan' })!.value));
    assert.equal(find('weird_values', { kind: 'pinf' })!.value, Number.POSITIVE_INFINITY);
    assert.equal(find('weird_values', { kind: 'ninf' })!.value, Number.NEGATIVE_INFINITY);
    const inf = find('http_request_duration_seconds_bucket', { le: '+Inf' })!;
    assert.equal(inf.value, 144320);
    assert.equal(inf.type, 'histogram');
    assert.equal(find('http_request_duration_seconds_count')!.type, 'histogram');
    assert.equal(find('rpc_duration_seconds', { quantile: '0.99' })!.type, 'summary');
    assert.equal(find('rpc_duration_seconds_sum')!.value, 1.7560473e7);
    assert.equal(find('temperature', { room: 'kitchen' })!.value, -0.35);
    assert.equal(find('temperature', { room: 'kitchen' })!.type, 'gauge');
  });

  test('malformed lines are reported with their line number and skipped', () => {
    const { samples, errors } = parseExposition(
      [
        'good 1',
        'no_value{a="b"}',
        'bad_escape{a="\\x"} 1',
        'unterminated{a="b} 1',
        'not_a_number abc',
        '1starts_with_digit 2',
        'dup{a="1",a="2"} 3',
        'also_good{x="y"} 2 123',
      ].join('\n'),
    );
    assert.deepEqual(
      samples.map((s) => s.metric),
      ['good', 'also_good'],
    );
    assert.equal(errors.length, 6);
    assert.match(errors[0]!, /^line 2: no value/);
    assert.match(errors[1]!, /^line 3: bad escape/);
    assert.match(errors[2]!, /^line 4: unterminated/);
    assert.match(errors[3]!, /^line 5: 'abc' is not a number/);
    assert.match(errors[4]!, /^line 6: expected a metric name/);
    assert.match(errors[5]!, /^line 7: label a given twice/);
  });
});

describe('Prometheus monitor', () => {
  let server: Server;
  let url: string;
  let dir: string;
  let up = true;
  let scrapes = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'faasload-monitor-prom-'));
    server = createServer((req, res) => {
      scrapes++;
      if (!up) {
        res.writeHead(503).end('down');
        return;
      }
      assert.match(String(req.headers.accept), /text\/plain/);
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  });
  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('scrapes into the long metrics table; a failing endpoint is a gap, closed when it answers', async () => {
    // A port nothing listens on: one that was just free.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const refused = `http://127.0.0.1:${freePort}/metrics`;
    const monitor = new PrometheusMonitor({ endpoints: [url, refused], intervalMs: 50 });
    const logs: string[] = [];
    await monitor.start({ dir, runId: 'test', log: (l) => logs.push(l) });
    // Phases by scrape count, not by time: the first fetch alone can take 100s of ms here.
    const until = async (n: number) => {
      for (const deadline = Date.now() + 10_000; scrapes < n && Date.now() < deadline; ) await sleep(10);
    };
    await until(3);
    up = false;
    await until(scrapes + 2);
    up = true;
    await until(scrapes + 2);
    const summary = await monitor.stop();

    assert.ok(scrapes >= 7, `scraped ${scrapes} times`);
    const rows = rowsOf(await readParquetTable(join(dir, 'metrics.parquet')));
    assert.equal(rows.length, summary.rows);
    assert.equal(rows.length % 16, 0, 'each good scrape gives all 16 samples');
    assert.ok(rows.length >= 16 * 4, `${rows.length} rows`);
    const bucket = rows.find(
      (r) => r.metric === 'http_request_duration_seconds_bucket' && r.labels === '{"le":"+Inf"}',
    );
    assert.ok(bucket);
    assert.equal(bucket.type, 'histogram');
    assert.equal(bucket.endpoint, url);
    const msdos = rows.find((r) => r.metric === 'msdos_file_access_time_seconds')!;
    assert.deepEqual(JSON.parse(String(msdos.labels)), {
      error: 'Cannot find file:\n"FILE.TXT"',
      path: 'C:\\DIR\\FILE.TXT',
    });
    const nan = rows.find((r) => r.metric === 'weird_values' && r.labels === '{"kind":"nan"}')!;
    assert.ok(Number.isNaN(nan.value));
    const withTs = rows.find((r) => r.metric === 'http_requests_total')!;
    assert.equal(withTs.exposed_at, 1395066363000, 'the exposition timestamp, read back as epoch ms');

    // The refused endpoint: one gap, still open at the end; ours: one gap (HTTP 503), closed.
    const ours = summary.gaps.filter((g) => g.target === url);
    assert.equal(ours.length, 1, JSON.stringify(summary.gaps));
    assert.match(ours[0]!.reason, /HTTP 503/);
    assert.ok(ours[0]!.toUs! > ours[0]!.fromUs);
    const theirs = summary.gaps.filter((g) => g.target === refused);
    assert.equal(theirs.length, 1);
    assert.equal(theirs[0]!.toUs, undefined);
    assert.match(theirs[0]!.reason, /ECONNREFUSED/);
    assert.ok(logs.some((l) => l.includes('answers again')));
  });
});
