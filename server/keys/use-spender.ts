import { spendUsesBatch, spendUsesEach } from "../store/api-keys";
import type { Db } from "../store/database";
import type { Dialect } from "../store/schema";

interface Pending {
  id: string;
  now: number;
  resolve(spent: boolean): void;
  reject(e: unknown): void;
}

/**
 * Spends numUses. Spends that arrive while the previous batch is being written are written
 * together, in one durable commit, and each call is answered only once its use is durable.
 * SQLite: one transaction of conditional UPDATEs (group commit). PostgreSQL: one statement
 * per batch whatever its size (spendUsesBatch), so a burst costs a few WAL flushes, not one
 * per call, and calls on one key stop queueing on its row lock; exact across replicas.
 */
export class UseSpender {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  spend(id: string, now: number): Promise<boolean> {
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
    try {
      const spent = this.dialect === "postgres" ? await this.writeBatch(batch) : await spendUsesEach(this.db, batch);
      for (const [i, p] of batch.entries()) p.resolve(spent[i]);
    } catch (e) {
      for (const p of batch) p.reject(e);
    }
    // One batch in flight at a time: what arrived meanwhile is the next batch.
    if (this.queue.length > 0) setImmediate(() => void this.flush());
    else this.scheduled = false;
  }

  private async writeBatch(batch: Pending[]): Promise<boolean[]> {
    const wanted = new Map<string, number>();
    let now = 0;
    for (const p of batch) {
      wanted.set(p.id, (wanted.get(p.id) ?? 0) + 1);
      now = Math.max(now, p.now);
    }
    const granted = await spendUsesBatch(this.db, wanted, now);
    // The first calls of each key in arrival order get its granted uses.
    return batch.map((p) => {
      const left = granted.get(p.id) ?? 0;
      if (left === 0) return false;
      granted.set(p.id, left - 1);
      return true;
    });
  }
}
