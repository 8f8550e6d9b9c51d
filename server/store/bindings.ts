import type { Kysely } from "kysely";
import type { BindingRow, Database } from "./schema";

// Every query on the bindings table.

export function listBindingsOfKey(db: Kysely<Database>, apiKeyId: string): Promise<BindingRow[]> {
  return db.selectFrom("bindings").selectAll().where("api_key_id", "=", apiKeyId).orderBy("created_at").orderBy("deployment_id").execute();
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
  return db.selectFrom("bindings").selectAll().where("api_key_id", "=", apiKeyId).where("deployment_id", "=", deploymentId).executeTakeFirstOrThrow();
}

/** Idempotent: true when there was a binding to delete. */
export async function deleteBinding(db: Kysely<Database>, apiKeyId: string, deploymentId: string): Promise<boolean> {
  const deleted = await db.deleteFrom("bindings").where("api_key_id", "=", apiKeyId).where("deployment_id", "=", deploymentId).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

export async function deleteBindingsOfKey(db: Kysely<Database>, apiKeyId: string): Promise<void> {
  await db.deleteFrom("bindings").where("api_key_id", "=", apiKeyId).execute();
}

export async function deleteBindingsOfDeployment(db: Kysely<Database>, deploymentId: string): Promise<void> {
  await db.deleteFrom("bindings").where("deployment_id", "=", deploymentId).execute();
}
