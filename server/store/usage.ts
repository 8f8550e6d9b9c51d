import { type Kysely, sql } from "kysely";
import type { Database, Dialect, KeyUsageRow } from "./schema";

// Every query on the key_usage table.

// Counts saturate here rather than overflow a bigint column (or lose exactness in JavaScript).
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Adds a batch of counts (one row per key, deployment and day) as upserts, so replicas add up
 * rather than overwrite: on PostgreSQL one statement for the whole batch. Rows go in key order,
 * so two replicas' flushes lock shared rows in the same order and never deadlock.
 */
export async function addUsage(db: Kysely<Database>, dialect: Dialect, rows: KeyUsageRow[]): Promise<void> {
  const order = (r: KeyUsageRow) => `${r.api_key_id}\u0000${r.deployment_id}\u0000${r.day}`;
  const sorted = rows
    .map((row) => ({
      ...row,
      prompt_tokens: Math.min(row.prompt_tokens, MAX_COUNT),
      completion_tokens: Math.min(row.completion_tokens, MAX_COUNT),
    }))
    .sort((x, y) => (order(x) < order(y) ? -1 : order(x) > order(y) ? 1 : 0));
  // The same saturating sum on both stores.
  const add = (c: "requests" | "prompt_tokens" | "completion_tokens") =>
    sql<number>`${sql.raw(`case when key_usage.${c} > ${MAX_COUNT} - excluded.${c} then ${MAX_COUNT} else key_usage.${c} + excluded.${c} end`)}`;
  if (dialect === "postgres") {
    if (sorted.length === 0) return;
    const column = <K extends keyof KeyUsageRow>(k: K) => sorted.map((r) => r[k]);
    await sql`
      insert into key_usage (api_key_id, deployment_id, day, project_id, requests, prompt_tokens, completion_tokens)
      select * from unnest(${column("api_key_id")}::text[], ${column("deployment_id")}::text[], ${column("day")}::text[], ${column("project_id")}::text[],
        ${column("requests")}::bigint[], ${column("prompt_tokens")}::bigint[], ${column("completion_tokens")}::bigint[])
      on conflict (api_key_id, deployment_id, day) do update set
        requests = ${add("requests")},
        prompt_tokens = ${add("prompt_tokens")},
        completion_tokens = ${add("completion_tokens")}`.execute(db);
    return;
  }
  for (const capped of sorted) {
    await db
      .insertInto("key_usage")
      .values(capped)
      .onConflict((oc) =>
        oc.columns(["api_key_id", "deployment_id", "day"]).doUpdateSet({
          requests: add("requests"),
          prompt_tokens: add("prompt_tokens"),
          completion_tokens: add("completion_tokens"),
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
    .select([
      "u.deployment_id",
      "d.name as deployment",
      "u.day",
      "u.requests",
      "u.prompt_tokens",
      "u.completion_tokens",
    ])
    .where("u.api_key_id", "=", apiKeyId)
    .orderBy("u.deployment_id")
    .orderBy("u.day")
    .execute();
}
