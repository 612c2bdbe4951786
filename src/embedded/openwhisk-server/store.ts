/**
 * In-memory stores of the OpenWhisk API: entities (actions, packages, triggers, rules) per
 * namespace path, and a bounded activation store (oldest dropped first). Synchronous; one server
 * owns each.
 */
import type { ActivationRecord } from './records.js';

/** Entities by namespace path ('ns', or 'ns/pkg' for a package's actions), then name. */
export class EntityStore<T extends { namespace: string; name: string }> {
  private readonly byNamespace = new Map<string, Map<string, T>>();

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  put(record: T): void {
    let names = this.byNamespace.get(record.namespace);
    if (!names) {
      names = new Map();
      this.byNamespace.set(record.namespace, names);
    }
    names.set(record.name, record);
  }

  delete(namespace: string, name: string): T | undefined {
    const names = this.byNamespace.get(namespace);
    const record = names?.get(name);
    if (record) names!.delete(name);
    return record;
  }

  /** The entities of one namespace path, sorted by name, as OpenWhisk lists. */
  list(namespace: string): T[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])].sort(byName);
  }

  /** Those of a namespace and of its packages ('ns' and 'ns/*'), sorted by path then name. */
  listDeep(namespace: string): T[] {
    const out: T[] = [];
    const paths = [...this.byNamespace.keys()]
      .filter((p) => p === namespace || p.startsWith(`${namespace}/`))
      .sort();
    for (const p of paths) out.push(...this.list(p));
    return out;
  }

  /** Every entity of every namespace, in no particular order. */
  *all(): IterableIterator<T> {
    for (const names of this.byNamespace.values()) yield* names.values();
  }
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface ActivationQuery {
  namespace: string;
  /** Action name (the entity name, or package/name). */
  name?: string;
  /** Epoch ms bounds on start, inclusive. */
  since?: number;
  upto?: number;
  skip: number;
  limit: number;
}

/** The last `capacity` activations, by id; lists are newest (latest start) first. */
export class ActivationStore {
  private readonly byId = new Map<string, ActivationRecord>();

  constructor(readonly capacity = 100_000) {}

  get size(): number {
    return this.byId.size;
  }

  add(record: ActivationRecord): void {
    this.byId.delete(record.activationId);
    this.byId.set(record.activationId, record);
    // Maps iterate in insertion order: the first key is the oldest record.
    while (this.byId.size > this.capacity) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) break;
      this.byId.delete(oldest);
    }
  }

  get(namespace: string, id: string): ActivationRecord | undefined {
    const record = this.byId.get(id);
    return record?.namespace === namespace ? record : undefined;
  }

  /** Scans every stored record: O(capacity) per call. */
  query(q: ActivationQuery): ActivationRecord[] {
    const matches: ActivationRecord[] = [];
    for (const a of this.byId.values()) {
      if (a.namespace !== q.namespace) continue;
      if (q.name !== undefined && a.name !== q.name) continue;
      if (q.since !== undefined && a.start < q.since) continue;
      if (q.upto !== undefined && a.start > q.upto) continue;
      matches.push(a);
    }
    matches.sort((a, b) => b.start - a.start || (a.activationId < b.activationId ? 1 : -1));
    return matches.slice(q.skip, q.skip + q.limit);
  }
}
