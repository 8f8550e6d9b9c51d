import type { Kysely } from "kysely";
import type { Database, KeyUsageRow } from "./schema";

// Every query on the key_usage table.

/** Adds a batch of counts: one upsert per (key, deployment, day), so replicas add up rather than overwrite. */
export async function addUsage(db: Kysely<Database>, rows: KeyUsageRow[]): Promise<void> {
  for (const row of rows) {
    await db
      .insertInto("key_usage")
      .values(row)
      .onConflict((oc) =>
        oc.columns(["api_key_id", "deployment_id", "day"]).doUpdateSet((eb) => ({
          requests: eb("key_usage.requests", "+", eb.ref("excluded.requests")),
          prompt_tokens: eb("key_usage.prompt_tokens", "+", eb.ref("excluded.prompt_tokens")),
          completion_tokens: eb("key_usage.completion_tokens", "+", eb.ref("excluded.completion_tokens")),
        })),
      )
      .execute();
  }
}

/** A key's buckets, with the deployment's name while it exists. */
export function usageOfKey(db: Kysely<Database>, apiKeyId: string) {
  return db
    .selectFrom("key_usage as u")
    .leftJoin("deployments as d", "d.id", "u.deployment_id")
    .select(["u.deployment_id", "d.name as deployment", "u.day", "u.requests", "u.prompt_tokens", "u.completion_tokens"])
    .where("u.api_key_id", "=", apiKeyId)
    .orderBy("u.deployment_id")
    .orderBy("u.day")
    .execute();
}
