import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import SqliteDatabase from "better-sqlite3";
import pg from "pg";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "./schema";
import { migrate } from "./migrations";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for logs: never includes a password. */
  location: string;
  close(): Promise<void>;
}

// int8 columns come back from pg as strings; every bigint here is a time or a count well below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /** PostgreSQL pool size per server process. */
  poolSize?: number;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db, "postgres");
    const url = new URL(options.databaseUrl);
    url.password = "";
    return { db, dialect: "postgres", location: url.toString(), close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, "keyplane.db");
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives a crash of the process or of the machine.
  sqlite.pragma("synchronous = FULL");
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, "sqlite");
  return { db, dialect: "sqlite", location: file, close: () => db.destroy() };
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === "23505" || e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
