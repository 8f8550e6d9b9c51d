import type { Db } from "./database";
import type { ConsoleSessionRow } from "./schema";

// Every query on the console_sessions table.

/** A new session; sessions past their expiry are swept on the way. */
export async function insertSession(db: Db, row: ConsoleSessionRow): Promise<void> {
  await db.deleteFrom("console_sessions").where("expires_at", "<=", row.created_at).execute();
  await db.insertInto("console_sessions").values(row).execute();
}

export function findSession(db: Db, idHash: string): Promise<ConsoleSessionRow | undefined> {
  return db.selectFrom("console_sessions").selectAll().where("id_hash", "=", idHash).executeTakeFirst();
}

export async function deleteSession(db: Db, idHash: string): Promise<void> {
  await db.deleteFrom("console_sessions").where("id_hash", "=", idHash).execute();
}
