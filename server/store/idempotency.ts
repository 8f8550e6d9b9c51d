import type { Db } from "./database";
import type { IdempotencyRow } from "./schema";

// Every query on the idempotency table: creates' first answers, kept for retries.

/** The answer stored for this key, if it is newer than `since`. */
export function findAnswer(db: Db, scope: string, key: string, since: number): Promise<IdempotencyRow | undefined> {
  return db
    .selectFrom("idempotency")
    .selectAll()
    .where("scope", "=", scope)
    .where("idem_key", "=", key)
    .where("created_at", ">", since)
    .executeTakeFirst();
}

/** Only an expired record (older than `expiredBy`) is replaced; a live one makes the insert fail. */
export async function insertAnswer(db: Db, row: IdempotencyRow, expiredBy: number): Promise<void> {
  await db
    .deleteFrom("idempotency")
    .where("scope", "=", row.scope)
    .where("idem_key", "=", row.idem_key)
    .where("created_at", "<=", expiredBy)
    .execute();
  await db.insertInto("idempotency").values(row).execute();
}

/** A deleted object's creates are not replayed: the same request makes a new object. */
export async function endReplaysOf(db: Db, objectId: string): Promise<void> {
  await db.deleteFrom("idempotency").where("object_id", "=", objectId).execute();
}

export async function deleteAnswersBefore(db: Db, cutoff: number): Promise<void> {
  await db.deleteFrom("idempotency").where("created_at", "<=", cutoff).execute();
}
