import { hash } from "node:crypto";

/**
 * The gateway's lookups (key, named deployment, binding) remembered between calls, for a
 * store that one process owns: SQLite, opened with exclusive locking, so every write to it
 * goes through this process. Each committed write makes the cache forget everything before
 * its answer is sent, so no gateway answer is staler than a write already acknowledged
 * (a revoke is refused at the very next call, as without the cache).
 *
 * A lookup that was in flight while a write committed is not remembered (generation check):
 * it may have read the old rows. Expiry is still judged per call from the remembered row,
 * and numUses are still spent in the database, so neither goes stale.
 *
 * PostgreSQL replicas share a database that others write, so there the cache is off.
 *
 * Entries are found by a SHA-256 of the presented credential, not by the credential itself
 * (no key is kept in memory past its call) nor by its keyed hash (an HMAC costs a gateway
 * call seven times as much); keys are random enough that the plain digest reveals nothing.
 */
export class GatewayLookupCache<Row> {
  private readonly entries = new Map<string, Row>();
  private generation = 0;

  constructor(
    readonly enabled: boolean,
    private readonly limit = 10_000,
  ) {}

  async lookup(credential: string, model: string, load: () => Promise<Row | undefined>): Promise<Row | undefined> {
    if (!this.enabled) return load();
    const id = `${hash("sha256", credential, "base64")}\u0000${model}`;
    const hit = this.entries.get(id);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    const row = await load();
    // Unknown keys are not remembered: made-up keys must not push real ones out.
    if (row !== undefined && generation === this.generation) {
      if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(id, row);
    }
    return row;
  }

  /** After every write (committed or not: nothing is assumed about what a failed one did). */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
