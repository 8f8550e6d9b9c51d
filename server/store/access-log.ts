import type SqliteDatabase from "better-sqlite3";
import { CompiledQuery, type Kysely, sql } from "kysely";
import type { AccessLogRow, Database, Dialect, NewAccessLogRow } from "./schema";

// Every query on the access_log table.

/**
 * SQLite: the access log lives in a file of its own, written by the log's thread over its own
 * connection while the store's connection (exclusive on keyplane.db) reads it as `log`: WAL
 * lets one write while the other reads. Its table is made here; migration 0011 moves rows
 * that an older server kept in keyplane.db.
 */
export function attachAccessLogFile(sqlite: SqliteDatabase.Database, file: string): void {
  sqlite.prepare("attach database ? as log").run(file);
  sqlite.pragma("log.locking_mode = NORMAL");
  sqlite.pragma("log.journal_mode = WAL");
  sqlite.exec(`
    create table if not exists log.access_log (
      id integer primary key autoincrement, at bigint not null, project_id text, api_key_id text,
      deployment text, outcome text not null, status integer not null, client text not null);
    create index if not exists log.access_log_project on access_log (project_id, id);
    create index if not exists log.access_log_key on access_log (api_key_id, id);`);
}

/**
 * Access-log entries column by column, as the log's thread receives them: numbers in typed
 * arrays, each distinct string once. Appending reads them without an object per entry.
 */
export interface AccessLogEntries {
  length: number;
  at: Float64Array;
  status: Uint16Array;
  /** Per entry, an index into `strings` (-1: null) for each of TEXT_COLUMNS, in that order. */
  refs: Int32Array;
  strings: string[];
}

/** The text columns of AccessLogEntries.refs, in their order. */
export const TEXT_COLUMNS = ["project_id", "api_key_id", "deployment", "outcome", "client"] as const;

// The insert's columns, in the order entryValues gives each entry's values.
const COLUMNS = ["at", "project_id", "api_key_id", "deployment", "outcome", "status", "client"] as const;
const WIDTH = COLUMNS.length;

/** Every entry's values in COLUMNS order, one flat array (WIDTH values per entry). */
function entryValues(batches: readonly AccessLogEntries[]): (string | number | null)[] {
  const values: (string | number | null)[] = [];
  for (const b of batches) {
    const text = (n: number) => (n < 0 ? null : b.strings[n]);
    for (let i = 0; i < b.length; i++) {
      const r = i * TEXT_COLUMNS.length;
      values.push(
        b.at[i],
        text(b.refs[r]),
        text(b.refs[r + 1]),
        text(b.refs[r + 2]),
        text(b.refs[r + 3]),
        b.status[i],
        text(b.refs[r + 4]),
      );
    }
  }
  return values;
}

// Rows per INSERT: well under SQLite's bound-parameter limit.
const CHUNK = 500;

// A write carries every gateway call of the last moments: compiling each multi-row INSERT
// costs as much as running it, so its SQL is compiled once per row count (keyed by the
// dialect's adapter, which a database shares with its transactions).
const compiledInserts = new WeakMap<object, Map<number, string>>();

function insertSql(db: Kysely<Database>, count: number): string {
  const adapter = db.getExecutor().adapter;
  let byCount = compiledInserts.get(adapter);
  if (!byCount) {
    byCount = new Map();
    compiledInserts.set(adapter, byCount);
  }
  let sql = byCount.get(count);
  if (sql === undefined) {
    const standIn = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as NewAccessLogRow;
    sql = db.insertInto("access_log").values(Array(count).fill(standIn)).compile().sql;
    byCount.set(count, sql);
  }
  return sql;
}

/** Appends entries: on PostgreSQL one statement whatever their number (arrays, unnested). */
export async function appendAccessLog(
  db: Kysely<Database>,
  dialect: Dialect,
  batches: readonly AccessLogEntries[],
): Promise<void> {
  const values = entryValues(batches);
  if (values.length === 0) return;
  if (dialect === "postgres") {
    const column = (k: (typeof COLUMNS)[number]) => {
      const out = [];
      for (let i = COLUMNS.indexOf(k); i < values.length; i += WIDTH) out.push(values[i]);
      return out;
    };
    await sql`
      insert into access_log (at, project_id, api_key_id, deployment, outcome, status, client)
      select * from unnest(${column("at")}::bigint[], ${column("project_id")}::text[], ${column("api_key_id")}::text[], ${column("deployment")}::text[],
        ${column("outcome")}::text[], ${column("status")}::int[], ${column("client")}::text[])`.execute(db);
    return;
  }
  // Parameters entry by entry, column by column: the order the compiled VALUES list expects.
  for (let i = 0; i < values.length; i += CHUNK * WIDTH) {
    const chunk = values.slice(i, i + CHUNK * WIDTH);
    await db.executeQuery(CompiledQuery.raw(insertSql(db, chunk.length / WIDTH), chunk));
  }
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

/**
 * Deletes the entries before the first one (in id order) made at or after `cutoff`, or all
 * when there is none: ids grow with time, so this reads only the oldest rows, with no index
 * on `at`. One statement, so rows added meanwhile are never taken. An entry written late
 * (a long streamed call) may outlive the cutoff until the next sweep passes it.
 */
export async function forgetAccessLogBefore(db: Kysely<Database>, cutoff: number): Promise<number> {
  const deleted = await db
    .deleteFrom("access_log")
    .where("id", "<", (eb) =>
      eb.fn.coalesce(
        eb.selectFrom("access_log").select("id").where("at", ">=", cutoff).orderBy("id").limit(1),
        eb.selectFrom("access_log").select(sql<number>`max(id) + 1`.as("end")),
      ),
    )
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}
