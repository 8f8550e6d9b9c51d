import { type Kysely, sql, type Updateable } from "kysely";
import type { ApiKeyRow, Database, Dialect } from "./schema";
import { reusableQuery } from "./statements";

// Every query on the api_keys table. Handlers and the gateway call these; none writes SQL.

export async function insertApiKey(db: Kysely<Database>, row: ApiKeyRow): Promise<void> {
  await db.insertInto("api_keys").values(row).execute();
}

/** A key of the project that is not revoked (expired and disabled keys included). */
export function findLiveApiKey(db: Kysely<Database>, projectId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom("api_keys")
    .selectAll()
    .where("id", "=", id)
    .where("project_id", "=", projectId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
}

/** A key of the project, revoked ones included (their usage and access log stay readable). */
export function findApiKey(db: Kysely<Database>, projectId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .selectFrom("api_keys")
    .selectAll()
    .where("id", "=", id)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

/** Live keys of a project; with `managedBy`, only those that owner (a Pulumi stack's resource) manages. */
export function listLiveApiKeys(db: Kysely<Database>, projectId: string, managedBy?: string): Promise<ApiKeyRow[]> {
  return db
    .selectFrom("api_keys")
    .selectAll()
    .where("project_id", "=", projectId)
    .where("revoked_at", "is", null)
    .$if(managedBy !== undefined, (q) => q.where("managed_by", "=", managedBy!))
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

/** Keys that keep a project from being deleted: neither revoked nor being revoked with a grace. */
export async function projectHasLiveKeys(db: Kysely<Database>, projectId: string): Promise<boolean> {
  const rows = await db
    .selectFrom("api_keys")
    .select("id")
    .where("project_id", "=", projectId)
    .where("revoked_at", "is", null)
    .where("grace_revoked_at", "is", null)
    .limit(1)
    .execute();
  return rows.length > 0;
}

/** A deleted project's keys still in their grace end with it (a destroy deletes keys, then their project). */
export async function revokeGraceKeysOfProject(db: Kysely<Database>, projectId: string, now: number): Promise<void> {
  await db
    .updateTable("api_keys")
    .set({ revoked_at: now })
    .where("project_id", "=", projectId)
    .where("revoked_at", "is", null)
    .where("grace_revoked_at", "is not", null)
    .execute();
}

export function apiKeyByHash(db: Kysely<Database>, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
}

/** Columns a management write changes on a key. */
export type ApiKeyChanges = Updateable<ApiKeyRow>;

export async function updateApiKey(db: Kysely<Database>, id: string, changes: ApiKeyChanges): Promise<void> {
  await db.updateTable("api_keys").set(changes).where("id", "=", id).execute();
}

/** The row stays (hash only) so the gateway can answer revoked_key rather than invalid_key. */
export async function markRevoked(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", id).execute();
}

/**
 * lastUsedAt of many keys (id → time): it moves forward only, as batches from several replicas
 * may land in any order. Keys with numUses are skipped: each spend sets it. On PostgreSQL one
 * statement, rows locked in id order (no deadlock between replicas' flushes).
 */
export async function recordLastUsed(
  db: Kysely<Database>,
  dialect: Dialect,
  lastUsed: Map<string, number>,
): Promise<void> {
  if (lastUsed.size === 0) return;
  if (dialect === "postgres") {
    await sql`
      with v as (select * from unnest(${[...lastUsed.keys()]}::text[], ${[...lastUsed.values()]}::bigint[]) as v (id, at)),
      locked as (
        select k.id from api_keys k join v on v.id = k.id
        where k.num_uses = 0 and (k.last_used_at is null or k.last_used_at < v.at)
        order by k.id
        for update of k
      )
      update api_keys k set last_used_at = v.at from v join locked l on l.id = v.id
      where k.id = v.id and (k.last_used_at is null or k.last_used_at < v.at)`.execute(db);
    return;
  }
  for (const [id, at] of lastUsed) {
    await db
      .updateTable("api_keys")
      .set({ last_used_at: at })
      .where("id", "=", id)
      .where("num_uses", "=", 0)
      .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at)]))
      .execute();
  }
}

/**
 * Spends uses of many keys in one statement (PostgreSQL): `spends` holds how many calls want a
 * use of each key; each key is granted least(wanted, uses left), none when it is revoked. Rows
 * are locked in id order, so replicas spending the same keys at once wait, never deadlock.
 * An autocommit statement, so durable (synchronous_commit stays on: a crash must not hand a
 * use out twice). Returns the uses granted per key id.
 */
export async function spendUsesBatch(
  db: Kysely<Database>,
  spends: Map<string, number>,
  now: number,
): Promise<Map<string, number>> {
  const result = await sql<{ id: string; granted: number }>`
    with wanted as (select * from unnest(${[...spends.keys()]}::text[], ${[...spends.values()]}::int[]) as w (id, n)),
    locked as (
      select k.id, k.num_uses - k.uses as remaining from api_keys k join wanted w on w.id = k.id
      where k.revoked_at is null and k.uses < k.num_uses
      order by k.id
      for update of k
    )
    update api_keys k set uses = k.uses + least(w.n, l.remaining), last_used_at = greatest(k.last_used_at, ${now}::bigint)
    from locked l join wanted w on w.id = l.id
    where k.id = l.id
    returning k.id, least(w.n, l.remaining)::int as granted`.execute(db);
  return new Map(result.rows.map((r) => [r.id, r.granted]));
}

// SQLite: one conditional UPDATE per use, exact because one process writes the file.
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

/** Spends one use per call (SQLite), all in one transaction; true for each call that got one. */
export function spendUsesEach(db: Kysely<Database>, calls: { id: string; now: number }[]): Promise<boolean[]> {
  return db.transaction().execute(async (trx) => {
    const out: boolean[] = [];
    for (const c of calls) out.push(Number((await spendUse(trx, { id: c.id, now: c.now })).numAffectedRows ?? 0) > 0);
    return out;
  });
}

/** Marks a live key leaked; false when it was revoked or already leaked (a report seen by another replica first). */
export async function markLeaked(
  db: Kysely<Database>,
  id: string,
  at: number,
  where: { source: string | null; url: string | null },
): Promise<boolean> {
  const result = await db
    .updateTable("api_keys")
    .set({ leaked_at: at, leak_source: where.source, leak_url: where.url, updated_at: at })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .where("leaked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
