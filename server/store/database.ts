import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import SqliteDatabase from "better-sqlite3";
import pg from "pg";
import { closeSync, fdatasync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import type { Database } from "./schema";
import { migrate } from "./migrations";
import { withCachedStatements } from "./cached-statements";
import { useNamedStatements } from "./named-statements";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where the data lives, for logs: never includes a password. */
  location: string;
  /**
   * A transaction whose commit does not wait for the disk, for rows whose last second may be
   * lost to a power cut (usage counts, the access log): the database stays consistent, and
   * the next durable commit makes them durable too.
   */
  lazyTransaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  /**
   * A transaction that resolves once its commit is durable. Concurrent ones share the disk flush
   * (group commit): a burst of management writes (a `pulumi up` creating hundreds of keys) waits
   * for one flush per burst, not one each. Others may read a commit before it is durable; a
   * later write can never outlive it (the log is replayed in order), and its caller hears of
   * it only once it is.
   */
  writeTransaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 columns come back from pg as strings; every bigint here is a time or a count well below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string;
  /** Told of connections the database dropped while idle. */
  onPoolError?: (err: Error) => void;
  /** PostgreSQL pool size per server process. */
  poolSize?: number;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle connection dropped by the database (restart, failover) must not take the process down;
    // the pool replaces it and the next query reconnects.
    pool.on("error", (err) => options.onPoolError?.(err));
    useNamedStatements(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db, "postgres");
    const url = new URL(options.databaseUrl);
    url.password = "";
    const lazyTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>) =>
      db.transaction().execute(async (trx) => {
        await sql`set local synchronous_commit = off`.execute(trx);
        return fn(trx);
      });
    // PostgreSQL groups concurrent commits' WAL flushes by itself.
    const writeTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => db.transaction().execute(fn);
    return { db, dialect: "postgres", location: url.toString(), lazyTransaction, writeTransaction, close: () => db.destroy() };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, "keyplane.db");
  const sqlite = new SqliteDatabase(file);
  // One server owns an SQLite data dir (several replicas need PostgreSQL). Exclusive locking
  // refuses a second server on the same file and spares every read its file-lock system calls.
  sqlite.pragma("locking_mode = EXCLUSIVE");
  sqlite.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives a crash of the process or of the machine.
  const durable = "synchronous = FULL";
  sqlite.pragma(durable);
  sqlite.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withCachedStatements(sqlite) }) });
  await migrate(db, "sqlite");
  // The setting is the connection's: the lazy transaction holds the one connection while it
  // is relaxed, so no other write can commit under it.
  const lazyTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>) =>
    db.connection().execute(async (conn) => {
      sqlite.pragma("synchronous = NORMAL");
      try {
        return await conn.transaction().execute(fn);
      } finally {
        sqlite.pragma(durable);
      }
    });
  // What synchronous = FULL does at each commit, once for every commit since the last flush:
  // fdatasync of the write-ahead log, off the event loop. A flush that is already running may
  // have started before a commit, so that commit waits for the next one.
  const wal = openSync(`${file}-wal`, "r");
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const flushWal = (): Promise<void> => {
    if (!running) {
      running = new Promise<void>((resolve, reject) => fdatasync(wal, (err) => (err ? reject(err) : resolve()))).finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return flushWal();
      });
    return queued;
  };
  const writeTransaction = async <T>(fn: (trx: Transaction<Database>) => Promise<T>) => {
    const out = await lazyTransaction(fn);
    await flushWal();
    return out;
  };
  const close = async () => {
    await db.destroy();
    closeSync(wal);
  };
  return { db, dialect: "sqlite", location: file, lazyTransaction, writeTransaction, close };
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === "23505" || e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
