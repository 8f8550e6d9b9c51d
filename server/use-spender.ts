import type { Kysely } from "kysely";
import type { Database } from "./store/schema";
import { reusableQuery } from "./store/reusable-query";

// One conditional UPDATE per use: exact under concurrency on one process or many on one database.
const spendUse = reusableQuery(
  (db: Kysely<Database>, p: { id: string; now: number }) =>
    db
      .updateTable("api_keys")
      .set((eb) => ({ uses: eb("uses", "+", 1), last_used_at: p.now }))
      .where("id", "=", p.id)
      .where("revoked_at", "is", null)
      .whereRef("uses", "<", "num_uses"),
  ["id", "now"],
);

interface Pending {
  id: string;
  now: number;
  resolve(spent: boolean): void;
  reject(e: unknown): void;
}

/**
 * Spends numUses. On SQLite every commit waits for the disk, so spends that arrive
 * together are committed together (group commit): each call is still answered only
 * after its own conditional UPDATE is durable. PostgreSQL gets one statement per call.
 */
export class UseSpender {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly groupCommit: boolean,
  ) {}

  async spend(id: string, now: number): Promise<boolean> {
    if (!this.groupCommit) return Number((await spendUse(this.db, { id, now })).numAffectedRows ?? 0) > 0;
    return new Promise((resolve, reject) => {
      this.queue.push({ id, now, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    try {
      const spent = await this.db.transaction().execute(async (trx) => {
        const out: boolean[] = [];
        for (const p of batch) out.push(Number((await spendUse(trx, p)).numAffectedRows ?? 0) > 0);
        return out;
      });
      for (const [i, p] of batch.entries()) p.resolve(spent[i]);
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
  }
}
