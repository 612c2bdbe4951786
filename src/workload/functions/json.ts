/**
 * `json`: the transform step of an ETL pipeline: parses a generated JSON document of sales
 * records, filters them, groups them by a field, aggregates each group (count, amount sum exact to
 * the cent, mean, min, max, quantity), sorts, and serializes the result.
 */
import { defineEntry } from '../entry.js';
import type { CatalogFunctionSpec } from '../types.js';

export const JSON_SPEC: CatalogFunctionSpec = {
  name: 'json',
  description:
    'Parse a generated JSON document of records, filter, group and aggregate them, serialize the result',
  params: [
    {
      name: 'groupBy',
      type: 'string',
      default: 'category',
      choices: ['category', 'region', 'month', 'user'],
      meaning:
        'the grouping key: category (8 values), region (5), month of ts (12: 2024-01 to 2024-12), user (1,000)',
    },
    {
      name: 'minAmount',
      type: 'number',
      default: 0,
      range: [0, 1000],
      meaning: 'keep the records whose amount is at least this (amounts are 0 to 999.99)',
    },
    {
      name: 'activeOnly',
      type: 'boolean',
      default: false,
      meaning: 'keep only the records whose active is true (about 3 in 4)',
    },
    {
      name: 'category',
      type: 'string',
      default: 'any',
      choices: ['any', 'books', 'games', 'garden', 'grocery', 'health', 'music', 'sports', 'tools'],
      meaning: 'keep only this category, or any',
    },
    {
      name: 'sort',
      type: 'string',
      default: 'key',
      choices: ['key', 'count', 'amount'],
      meaning: 'order of the groups: by key ascending, or by count or amount descending (ties by key)',
    },
    {
      name: 'top',
      type: 'integer',
      default: 0,
      range: [0, 1000],
      meaning: 'keep the first `top` groups after sorting; 0: all',
    },
  ],
  input: {
    kind: 'records',
    format:
      'UTF-8 JSON: an array of records {id, user, category, region, amount, quantity, active, ts, tags}, one per line',
    size: {
      unit: 'records',
      default: 10000,
      range: [0, 1000000],
      meaning: 'number of records in the document',
    },
  },
};

const MAIN = `function groupKey(record, groupBy) {
  return groupBy === 'month' ? record.ts.slice(0, 7) : record[groupBy];
}

function main(value) {
  const t0 = performance.now();
  const { seed, size, params: p } = readParams(SPEC, value, false);
  const document = genRecords(seed, size);
  const input = describeInput(SPEC, seed, size, p, document.length);
  const t1 = performance.now();
  const records = JSON.parse(document.toString('utf8'));
  const kept = records.filter(
    (r) =>
      r.amount >= p.minAmount && (!p.activeOnly || r.active) && (p.category === 'any' || r.category === p.category),
  );
  const byKey = new Map();
  for (const r of kept) {
    const key = groupKey(r, p.groupBy);
    let g = byKey.get(key);
    if (g === undefined) {
      g = { key, count: 0, cents: 0, min: r.amount, max: r.amount, quantity: 0 };
      byKey.set(key, g);
    }
    g.count++;
    g.cents += Math.round(r.amount * 100);
    if (r.amount < g.min) g.min = r.amount;
    if (r.amount > g.max) g.max = r.amount;
    g.quantity += r.quantity;
  }
  const byKeyOrder = (x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0);
  const order =
    p.sort === 'count'
      ? (x, y) => y.count - x.count || byKeyOrder(x, y)
      : p.sort === 'amount'
        ? (x, y) => y.cents - x.cents || byKeyOrder(x, y)
        : byKeyOrder;
  let groups = Array.from(byKey.values()).sort(order);
  if (p.top > 0) groups = groups.slice(0, p.top);
  groups = groups.map((g) => ({
    key: g.key,
    count: g.count,
    amount: g.cents / 100,
    mean: Math.round(g.cents / g.count) / 100,
    min: g.min,
    max: g.max,
    quantity: g.quantity,
  }));
  const output = Buffer.from(
    JSON.stringify({
      groupBy: p.groupBy,
      filter: { minAmount: p.minAmount, activeOnly: p.activeOnly, category: p.category },
      records: records.length,
      kept: kept.length,
      groups,
    }),
    'utf8',
  );
  const t2 = performance.now();
  return {
    input,
    records: records.length,
    kept: kept.length,
    groupBy: p.groupBy,
    groups,
    outputBytes: output.length,
    checksum: sha256(output),
    timings: { generateMs: t1 - t0, computeMs: t2 - t1, totalMs: performance.now() - t0 },
  };
}
`;

export const JSON_ENTRY = defineEntry(JSON_SPEC, MAIN);
