/**
 * `matmul`: C = A x B for n x n float64 matrices from a seeded generator (B random or the
 * identity), in the i-k-j loop order; returns sha256 of C's bytes, its trace and its sum. A x I
 * is exactly A, so the identity case checks the arithmetic end to end.
 */
import { defineEntry } from '../entry.js';
import type { CatalogFunctionSpec } from '../types.js';

export const MATMUL_SPEC: CatalogFunctionSpec = {
  name: 'matmul',
  description: 'Multiply two generated n x n float64 matrices; return a checksum of the product',
  params: [
    {
      name: 'b',
      type: 'string',
      default: 'random',
      choices: ['random', 'identity'],
      meaning: 'the right-hand matrix: seeded like A (its own stream), or the identity (then C = A exactly)',
      shapesInput: true,
    },
  ],
  input: {
    kind: 'matrices',
    format:
      'A then B, each n x n float64 little-endian row-major (16 * size^2 bytes); entries uniform in [-1, 1)',
    size: { unit: 'n (rows and columns)', default: 128, range: [1, 2048], meaning: 'the matrices are n x n' },
  },
};

const MAIN = `function multiply(a, b, n) {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[row + k];
      const bk = k * n;
      for (let j = 0; j < n; j++) c[row + j] += aik * b[bk + j];
    }
  }
  return c;
}

function main(value) {
  const t0 = performance.now();
  const { seed, size: n, params: p } = readParams(SPEC, value, false);
  const a = genMatrix(seed, n, STREAM_MATRIX_A);
  const b = p.b === 'identity' ? identity(n) : genMatrix(seed, n, STREAM_MATRIX_B);
  const input = describeInput(SPEC, seed, n, p, a.byteLength + b.byteLength);
  const t1 = performance.now();
  const c = multiply(a, b, n);
  const t2 = performance.now();
  let trace = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) trace += c[i * n + i];
  for (let i = 0; i < c.length; i++) sum += c[i];
  return {
    input,
    n,
    b: p.b,
    trace,
    sum,
    checksum: sha256(f64Bytes(c)),
    timings: { generateMs: t1 - t0, computeMs: t2 - t1, totalMs: performance.now() - t0 },
  };
}
`;

export const MATMUL_ENTRY = defineEntry(MATMUL_SPEC, MAIN);
