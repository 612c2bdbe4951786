/**
 * The young generation (V8's semi-space) the replay's dispatcher runs with, and how it is chosen:
 * see src/cli/relaunch.ts for why and how bin/faasload.js sets it. Imports nothing heavy: the
 * bin loads it before anything else.
 */
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** --semi-space-mb's default: 2x V8's default (16 MB on 64-bit): scavenges half as often, for about 70 MB more resident memory. */
export const SEMI_SPACE_DEFAULT_MB = 32;
/** The largest semi-space V8 accepts, MB. */
export const SEMI_SPACE_MAX_MB = 256;
/** Set in the relaunched child's environment: it is the run, not a launcher. */
export const RELAUNCHED_ENV = 'FAASLOAD_RELAUNCHED';

const MB = 1024 * 1024;

/** A valid --semi-space-mb: 0 (node's default), or a power of two from 1 to SEMI_SPACE_MAX_MB. */
export function validSemiSpaceMb(mb: number): boolean {
  return mb === 0 || (Number.isInteger(mb) && mb >= 1 && mb <= SEMI_SPACE_MAX_MB && (mb & (mb - 1)) === 0);
}

/** The young generation this process runs with, for the manifest (DispatchFacts.youngGeneration). */
export interface YoungGenerationFact {
  /** --max-semi-space-size this process runs with (its node flags or NODE_OPTIONS), MB; null: V8's default. */
  semiSpaceMb: number | null;
  /** Whether faasload started node again to set it (bin/faasload.js, --semi-space-mb). */
  relaunched: boolean;
  /** The new space's committed size now, MB, from v8.getHeapSpaceStatistics(): the flag took effect. */
  newSpaceMb: number;
  /**
   * The scavenge made just before time zero (scavengeBeforeStart), ms; null if there was none.
   * The run starts with an empty young generation: its first pause comes a whole semi-space
   * later and copies only the run's own objects, not the start-up's.
   */
  scavengeBeforeStartMs: number | null;
}

/**
 * A young-generation collection now, on this thread; its duration, ms, or null when gc() cannot
 * be had. gc() is exposed to a new context only (--expose-gc set at run time), not to this one.
 */
export function scavengeBeforeStart(): number | null {
  let gc: (options: { type: 'minor' | 'major'; execution: 'sync' | 'async' }) => void;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  } catch {
    return null;
  }
  const startMs = performance.now();
  gc({ type: 'minor', execution: 'sync' });
  return Math.round((performance.now() - startMs) * 100) / 100;
}

/** Read from this process's node flags and its heap; call it at the run's time zero. */
export function youngGenerationFact(scavengeBeforeStartMs: number | null): YoungGenerationFact {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let semiSpaceMb: number | null = null;
  for (const f of flags) {
    const m = /^--max[-_]semi[-_]space[-_]size=(\d+)$/.exec(f);
    if (m) semiSpaceMb = Number(m[1]);
  }
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return {
    semiSpaceMb,
    relaunched: process.env[RELAUNCHED_ENV] !== undefined,
    newSpaceMb: Math.round(((space?.space_size ?? 0) / MB) * 10) / 10,
    scavengeBeforeStartMs,
  };
}
