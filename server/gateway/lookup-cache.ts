import { hash } from "node:crypto";

/**
 * The gateway's lookups (key, named deployment, binding) remembered between calls. Each
 * write this process commits makes the cache forget everything before its answer is sent,
 * so on SQLite (one process owns the file: every write goes through it) no gateway answer
 * is staler than a write already acknowledged (a revoke is refused at the very next call).
 * On PostgreSQL other replicas write too: the cache also forgets on their notifications and
 * serves only while `usable()` says those are known to arrive (see LookupChanges), which
 * bounds how long another replica's write can go unseen.
 *
 * Concurrent misses on one entry share one lookup (a key's first calls after a write, on many
 * connections at once, make one query, not one each). A lookup that was in flight while the
 * cache forgot is neither remembered nor joined by later calls (generation check): it may
 * have read the old rows. Expiry is still judged per call from the remembered row, and
 * numUses are still spent in the database, so neither goes stale.
 *
 * Entries are found by a SHA-256 of the presented credential, not by the credential itself
 * (no key is kept in memory past its call) nor by its keyed hash (an HMAC costs a gateway
 * call seven times as much); keys are random enough that the plain digest reveals nothing.
 */
export class GatewayLookupCache<Row> {
  private readonly entries = new Map<string, Row>();
  private readonly loading = new Map<string, Promise<Row | undefined>>();
  private generation = 0;

  constructor(
    private readonly usable: () => boolean,
    private readonly limit = 10_000,
  ) {}

  /** A hit is answered at once, not as a promise: the gateway then admits the call without an await. */
  lookup(credential: string, model: string, load: () => Promise<Row | undefined>): Row | Promise<Row | undefined> {
    if (!this.usable()) return load();
    const id = `${hash("sha256", credential, "base64")}\u0000${model}`;
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit;
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.load(id, load);
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async load(id: string, load: () => Promise<Row | undefined>): Promise<Row | undefined> {
    const generation = this.generation;
    try {
      const row = await load();
      // Unknown keys are not remembered: made-up keys must not push real ones out.
      if (row !== undefined && generation === this.generation) {
        if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(id, row);
      }
      return row;
    } finally {
      if (generation === this.generation) this.loading.delete(id);
    }
  }

  /** After every write (committed or not: nothing is assumed about what a failed one did), and on news of other replicas' writes. */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
