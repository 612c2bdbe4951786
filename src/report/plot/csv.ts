import type { Cell, FigureRow } from './figure.js';

function cell(c: Cell | undefined): string {
  if (c === null || c === undefined) return '';
  if (typeof c === 'number') return Number.isFinite(c) ? String(c) : '';
  return /[",\n\r]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c;
}

/**
 * RFC 4180 CSV of `rows`: a header of `columns` (default: the first row's fields), one line per
 * row, numbers in full precision (JavaScript's shortest round-trip form), null and non-finite
 * numbers as empty cells.
 */
export function toCsv(rows: readonly FigureRow[], columns?: readonly string[]): string {
  const cols = columns ?? Object.keys(rows[0] ?? {});
  const lines = [cols.map(cell).join(',')];
  for (const r of rows) lines.push(cols.map((c) => cell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}
