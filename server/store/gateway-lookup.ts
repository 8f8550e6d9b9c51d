import type { Kysely } from "kysely";
import type { Database } from "./schema";
import { reusableQuery } from "./statements";

/**
 * What the lookup selects. With the join columns below it is the one list of what a lookup
 * reads: PostgreSQL's invalidation triggers are made from it (see LOOKUP_READS), so a column
 * added here is watched without another change.
 */
const SELECTED = [
  "k.id",
  "k.project_id",
  "k.enabled",
  "k.rate_limit",
  "k.rate_window_seconds",
  "k.allowed_cidrs",
  "k.scope",
  "k.deployment_access",
  "k.expires_at",
  "k.num_uses",
  "k.uses",
  "k.revoked_at",
  "k.leaked_at",
  "d.id as dep_id",
  "d.name as dep_name",
  "d.model as dep_model",
  "d.status as dep_status",
  "d.upstream_url as dep_upstream_url",
  "d.upstream_secret as dep_upstream_secret",
  "s.use_case as secret_use_case",
  "s.allowed_upstreams as secret_allowed_upstreams",
  "v.version as secret_version",
  "v.ciphertext as secret_ciphertext",
] as const;

/** Columns the joins and filters read (the `bound` subquery reads bindings). */
const JOINED = [
  "k.key_hash",
  "d.project_id",
  "d.name",
  "s.id",
  "s.project_id",
  "s.version",
  "v.secret_id",
  "b.api_key_id",
  "b.deployment_id",
] as const;

const TABLE_OF = { k: "api_keys", d: "deployments", s: "secrets", v: "secret_versions", b: "bindings" } as const;

/**
 * Every column a lookup reads, by table, but `api_keys.uses`: a cached lookup may hold an
 * older count, because numUses are always spent in the database, never judged from the cache.
 */
export const LOOKUP_READS: Record<string, string[]> = {};
for (const ref of [...SELECTED, ...JOINED]) {
  const [alias, column] = ref.split(" ")[0].split(".") as [keyof typeof TABLE_OF, string];
  if (ref === "k.uses") continue;
  const table = TABLE_OF[alias];
  LOOKUP_READS[table] ??= [];
  if (!LOOKUP_READS[table].includes(column)) LOOKUP_READS[table].push(column);
}

/**
 * One round trip on the hot path: the key, the deployment it names (if any), whether they are
 * bound, and the sealed current value of the deployment's upstream secret (if any).
 */
export const lookupQuery = (db: Kysely<Database>, p: { model: string; keyHash: string }) =>
  db
    .selectFrom("api_keys as k")
    .leftJoin("deployments as d", (join) => join.onRef("d.project_id", "=", "k.project_id").on("d.name", "=", p.model))
    .leftJoin("secrets as s", (join) =>
      join.onRef("s.id", "=", "d.upstream_secret").onRef("s.project_id", "=", "d.project_id"),
    )
    .leftJoin("secret_versions as v", (join) =>
      join.onRef("v.secret_id", "=", "s.id").onRef("v.version", "=", "s.version"),
    )
    .select((eb) => [
      ...SELECTED,
      eb
        .exists(
          eb
            .selectFrom("bindings as b")
            .select("b.api_key_id")
            .whereRef("b.api_key_id", "=", "k.id")
            .whereRef("b.deployment_id", "=", "d.id"),
        )
        .as("bound"),
    ])
    .where("k.key_hash", "=", p.keyHash);

export const lookupCall = reusableQuery(lookupQuery, ["model", "keyHash"]);

export type GatewayLookup = Awaited<ReturnType<typeof lookupCall>>["rows"][number];
