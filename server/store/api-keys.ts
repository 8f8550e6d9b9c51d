import type { Kysely, Updateable } from "kysely";
import type { ApiKeyRow, Database } from "./schema";

// Every query on the api_keys table. Handlers and the gateway call these; none writes SQL.

export async function insertApiKey(db: Kysely<Database>, row: ApiKeyRow): Promise<void> {
  await db.insertInto("api_keys").values(row).execute();
}

/** A key of the project that is not revoked (expired and disabled keys included). */
export function findLiveApiKey(db: Kysely<Database>, projectId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("id", "=", id).where("project_id", "=", projectId).where("revoked_at", "is", null).executeTakeFirst();
}

/** A key of the project, revoked ones included (their usage and access log stay readable). */
export function findApiKey(db: Kysely<Database>, projectId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("id", "=", id).where("project_id", "=", projectId).executeTakeFirst();
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
  await db.updateTable("api_keys").set({ revoked_at: now }).where("project_id", "=", projectId).where("revoked_at", "is", null).where("grace_revoked_at", "is not", null).execute();
}

export function apiKeyByHash(db: Kysely<Database>, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom("api_keys").selectAll().where("key_hash", "=", keyHash).executeTakeFirst();
}

export async function updateApiKey(db: Kysely<Database>, id: string, changes: Updateable<ApiKeyRow>): Promise<void> {
  await db.updateTable("api_keys").set(changes).where("id", "=", id).execute();
}

/** The row stays (hash only) so the gateway can answer revoked_key rather than invalid_key. */
export async function markRevoked(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", id).execute();
}

/** lastUsedAt moves forward only: batches from several replicas may land in any order. */
export async function recordLastUsed(db: Kysely<Database>, id: string, at: number): Promise<void> {
  await db
    .updateTable("api_keys")
    .set({ last_used_at: at })
    .where("id", "=", id)
    .where((eb) => eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", at)]))
    .execute();
}

/** Marks a live key leaked; false when it was revoked or already leaked (a report seen by another replica first). */
export async function markLeaked(db: Kysely<Database>, id: string, at: number, where: { source: string | null; url: string | null }): Promise<boolean> {
  const result = await db
    .updateTable("api_keys")
    .set({ leaked_at: at, leak_source: where.source, leak_url: where.url, updated_at: at })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .where("leaked_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
