import type { Kysely } from "kysely";
import type { BindingRow, Database } from "./schema";

// Every query on the bindings table.

export function listBindingsOfKey(db: Kysely<Database>, apiKeyId: string): Promise<BindingRow[]> {
  return db
    .selectFrom("bindings")
    .selectAll()
    .where("api_key_id", "=", apiKeyId)
    .orderBy("created_at")
    .orderBy("deployment_id")
    .execute();
}

/** Idempotent: true when this call made the binding. */
export async function insertBinding(db: Kysely<Database>, row: BindingRow): Promise<boolean> {
  const inserted = await db
    .insertInto("bindings")
    .values(row)
    .onConflict((oc) => oc.columns(["api_key_id", "deployment_id"]).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}

export function findBinding(db: Kysely<Database>, apiKeyId: string, deploymentId: string): Promise<BindingRow> {
  return db
    .selectFrom("bindings")
    .selectAll()
    .where("api_key_id", "=", apiKeyId)
    .where("deployment_id", "=", deploymentId)
    .executeTakeFirstOrThrow();
}

/** Idempotent: true when there was a binding to delete. */
export async function deleteBinding(db: Kysely<Database>, apiKeyId: string, deploymentId: string): Promise<boolean> {
  const deleted = await db
    .deleteFrom("bindings")
    .where("api_key_id", "=", apiKeyId)
    .where("deployment_id", "=", deploymentId)
    .executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

export async function deleteBindingsOfKey(db: Kysely<Database>, apiKeyId: string): Promise<void> {
  await db.deleteFrom("bindings").where("api_key_id", "=", apiKeyId).execute();
}

export async function deleteBindingsOfDeployment(db: Kysely<Database>, deploymentId: string): Promise<void> {
  await db.deleteFrom("bindings").where("deployment_id", "=", deploymentId).execute();
}

/** Bindings per key, for the keys given (one query for a whole list). */
export async function countBindingsOfKeys(db: Kysely<Database>, keyIds: string[]): Promise<Map<string, number>> {
  if (keyIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("bindings")
    .select(["api_key_id", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("api_key_id", "in", keyIds)
    .groupBy("api_key_id")
    .execute();
  return new Map(rows.map((r) => [r.api_key_id, Number(r.n)]));
}
