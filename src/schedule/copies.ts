import type { ArrivalSource } from '../trace/types.js';
import { unitAt } from '../util/random.js';

/**
 * --scale above 1 on per-invocation traces (Azure 2021, CSV, FaaSLoad): where the extra copies of
 * one trace arrival go. Copy 0 is the trace's own arrival, at its own time t. With c copies and a
 * spread window of w µs after t, copy k (1 <= k < c) is drawn uniformly in the k-th of c equal
 * slices of [t, t + w): [t + floor(k w / c), t + floor((k + 1) w / c)). w is the gap to the
 * function's next later arrival in the trace, capped at COPY_SPREAD_US, and at least c µs, so
 * that every slice holds a microsecond of its own: no two copies of an arrival share one.
 *
 * So the function runs at scale times its rate within each of its gaps, its arrivals keep their
 * place at the trace's time and at 1 s resolution, and no burst the trace never had appears. The
 * draws are keyed by (seed, function, invocation index, copy): a function's copies depend on
 * nothing else, so sampling and sharding never move one. Copies of an arrival near the window's
 * end may follow the window by up to COPY_SPREAD_US: the window chooses trace arrivals, and each
 * keeps all of its copies.
 */
export const COPY_SPREAD_US = 1e6;

/**
 * How far past the window's end (trace µs) copies may fall: the widest spread window when the
 * scale makes copies of per-invocation arrivals, else 0. Plans count it in their span.
 */
export function copiesTailUs(sources: readonly ArrivalSource[], scale: number): number {
  if (!(scale > 1 && sources.some((s) => s.kind === 'times'))) return 0;
  return Math.max(COPY_SPREAD_US, Math.ceil(scale));
}

/**
 * The spread window (µs) of the copies of `atUs[cur]` (whole µs, ascending), when there are
 * `copies` of them; `next` is the index of the first later arrival (atUs.length if none).
 */
export function copyWindowUs(atUs: Float64Array, cur: number, next: number, copies: number): number {
  const gapUs = next < atUs.length ? Math.floor(atUs[next]!) - Math.floor(atUs[cur]!) : COPY_SPREAD_US;
  return Math.max(copies, Math.min(gapUs, COPY_SPREAD_US));
}

/** The offset (whole µs from the arrival) of copy k of `copies` in a window of `windowUs`. */
export function copyOffsetUs(
  k: number,
  copies: number,
  windowUs: number,
  seed: number,
  stream: number,
  invocation: number,
): number {
  if (k === 0) return 0;
  // Whole-µs slice bounds: at least 1 µs apart since windowUs >= copies, so slices never share one.
  const lo = Math.floor((k * windowUs) / copies);
  const hi = Math.floor(((k + 1) * windowUs) / copies);
  return lo + Math.floor(unitAt(seed, stream, invocation, k) * (hi - lo));
}

/**
 * Copies that fall past the chunk being generated, held for the chunk that holds them. Small:
 * only the copies of the last COPY_SPREAD_US of a chunk.
 */
export class SpilledCopies {
  private fns: number[] = [];
  private times: number[] = [];
  private sources: number[] = [];

  get length(): number {
    return this.fns.length;
  }

  add(fn: number, atUs: number, source: number): void {
    this.fns.push(fn);
    this.times.push(atUs);
    this.sources.push(source);
  }

  /**
   * Removes the copies before endUs and returns them ordered by function, each function's in the
   * order they were added (its arrivals' order), as [fn, atUs, source] triples.
   */
  take(endUs: number): [fn: number, atUs: number, source: number][] {
    const due: [number, number, number][] = [];
    let kept = 0;
    for (let i = 0; i < this.fns.length; i++) {
      if (this.times[i]! < endUs) {
        due.push([this.fns[i]!, this.times[i]!, this.sources[i]!]);
        continue;
      }
      this.fns[kept] = this.fns[i]!;
      this.times[kept] = this.times[i]!;
      this.sources[kept++] = this.sources[i]!;
    }
    this.fns.length = this.times.length = this.sources.length = kept;
    return due.sort((a, b) => a[0] - b[0]);
  }
}
