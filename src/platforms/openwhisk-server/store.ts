/**
 * In-memory stores of the OpenWhisk API: actions per namespace, and a bounded activation store
 * (oldest dropped first). Synchronous; one server owns each.
 */
import type { ActionRecord, ActivationRecord } from './records.js';

/** Actions by namespace, then name. Namespaces exist once an action is put in them. */
export class ActionStore {
  private readonly byNamespace = new Map<string, Map<string, ActionRecord>>();

  get(namespace: string, name: string): ActionRecord | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  put(record: ActionRecord): void {
    let names = this.byNamespace.get(record.namespace);
    if (!names) {
      names = new Map();
      this.byNamespace.set(record.namespace, names);
    }
    names.set(record.name, record);
  }

  delete(namespace: string, name: string): ActionRecord | undefined {
    const names = this.byNamespace.get(namespace);
    const record = names?.get(name);
    if (record) names!.delete(name);
    return record;
  }

  /** Sorted by name, as OpenWhisk lists. */
  list(namespace: string): ActionRecord[] {
    return [...(this.byNamespace.get(namespace)?.values() ?? [])].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }
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
