import type { Kysely } from "kysely";
import type { AccessLogRow, Database, NewAccessLogRow } from "./schema";

// Every query on the access_log table.

// Rows per INSERT: well under SQLite's and PostgreSQL's bound-parameter limits (7 columns each).
const CHUNK = 500;

export async function appendAccessLog(db: Kysely<Database>, rows: NewAccessLogRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK)
    await db
      .insertInto("access_log")
      .values(rows.slice(i, i + CHUNK))
      .execute();
}

export interface AccessLogFilter {
  projectId: string;
  apiKeyId?: string;
  outcome?: string;
  /** Epoch ms: entries at or after it. */
  since: number;
  limit: number;
}

/** Newest first. */
export function listAccessLog(db: Kysely<Database>, f: AccessLogFilter): Promise<AccessLogRow[]> {
  let q = db.selectFrom("access_log").selectAll().where("project_id", "=", f.projectId).where("at", ">=", f.since);
  if (f.apiKeyId !== undefined) q = q.where("api_key_id", "=", f.apiKeyId);
  if (f.outcome !== undefined) q = q.where("outcome", "=", f.outcome);
  return q.orderBy("id", "desc").limit(f.limit).execute();
}

export async function forgetAccessLogBefore(db: Kysely<Database>, cutoff: number): Promise<number> {
  const deleted = await db.deleteFrom("access_log").where("at", "<", cutoff).executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
