import type { Kysely } from "kysely";
import type { Database, KeyUsageRow } from "./schema";

// Every query on the key_usage table.

// Counts saturate here rather than overflow a bigint column (or lose exactness in JavaScript).
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/** Adds a batch of counts: one upsert per (key, deployment, day), so replicas add up rather than overwrite. */
export async function addUsage(db: Kysely<Database>, rows: KeyUsageRow[]): Promise<void> {
  for (const row of rows) {
    const capped = { ...row, prompt_tokens: Math.min(row.prompt_tokens, MAX_COUNT), completion_tokens: Math.min(row.completion_tokens, MAX_COUNT) };
    await db
      .insertInto("key_usage")
      .values(capped)
      .onConflict((oc) =>
        oc.columns(["api_key_id", "deployment_id", "day"]).doUpdateSet((eb) => {
          const add = (c: "requests" | "prompt_tokens" | "completion_tokens") =>
            eb
              .case()
              .when(eb.ref(`key_usage.${c}`), ">", eb(eb.val(MAX_COUNT), "-", eb.ref(`excluded.${c}`)))
              .then(eb.val(MAX_COUNT))
              .else(eb(eb.ref(`key_usage.${c}`), "+", eb.ref(`excluded.${c}`)))
              .end();
          return { requests: add("requests"), prompt_tokens: add("prompt_tokens"), completion_tokens: add("completion_tokens") };
        }),
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
