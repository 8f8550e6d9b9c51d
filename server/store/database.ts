import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { join } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from "kysely";
import pg from "pg";
import { type AccessLogEntries, appendAccessLog, attachAccessLogFile, forgetAccessLogBefore } from "./access-log";
import { migrate } from "./migrations";
import type { Database, Dialect } from "./schema";
import { useNamedStatements, withCachedStatements } from "./statements";

/** The database as repositories take it: the pool, or a transaction opened on it. */
export type Db = Kysely<Database>;

/** Readiness: a round trip to the database. */
export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

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
   * Makes every lazy commit so far durable without holding up this thread (the gateway's
   * event loop). SQLite: an fdatasync of the WAL file on libuv's thread pool. PostgreSQL:
   * nothing to do here: its WAL writer flushes lazy commits within 3 × wal_writer_delay
   * (600 ms by default), and the wait is PostgreSQL's, never this thread's.
   */
  syncLazyCommits(): Promise<void>;
  /** Where the access log's writer thread connects (usage/access-log-worker.ts). */
  accessLog: AccessLogTarget;
  /** PostgreSQL: a new connection outside the pool (not yet connected), for LISTEN. */
  dedicatedConnection?(applicationName: string): pg.Client;
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

/**
 * The access log's own database: on SQLite a file of its own beside keyplane.db (which one
 * process holds exclusively), attached to the store's connection for reading; on PostgreSQL
 * the same database, over a connection of the writer's.
 */
export type AccessLogTarget = { dialect: "sqlite"; file: string } | { dialect: "postgres"; url: string };

/** The access log as its writer thread sees it: batches appended in a transaction each, and the retention sweep. */
export interface AccessLogStore {
  append(batches: readonly AccessLogEntries[]): Promise<void>;
  /** See forgetAccessLogBefore; resolves with how many entries went. */
  forgetBefore(cutoff: number): Promise<number>;
  close(): Promise<void>;
}

/**
 * The access log's writer's own connection; its commits wait for the disk on the writer's
 * thread. On PostgreSQL a commit does not wait for the WAL flush (`set local`, as for usage:
 * the WAL writer makes it durable within 600 ms), set per transaction so that connection
 * poolers which refuse startup options work too.
 */
export function openAccessLogStore(target: AccessLogTarget, onPoolError: (err: Error) => void): AccessLogStore {
  let db: Kysely<Database>;
  if (target.dialect === "postgres") {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: 1,
      connectionTimeoutMillis: 5000,
      application_name: "keyplane-access-log",
    });
    pool.on("error", onPoolError);
    useNamedStatements(pool);
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    const sqlite = new SqliteDatabase(target.file);
    sqlite.pragma("synchronous = FULL");
    sqlite.pragma("busy_timeout = 5000");
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withCachedStatements(sqlite) }) });
  }
  return {
    append: (batches) =>
      db.transaction().execute(async (trx) => {
        if (target.dialect === "postgres") await sql`set local synchronous_commit = off`.execute(trx);
        await appendAccessLog(trx, target.dialect, batches);
      }),
    forgetBefore: (cutoff) => forgetAccessLogBefore(db, cutoff),
    close: () => db.destroy(),
  };
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
    // A connect that hangs (a database host gone) fails the call after a bound, as one refused at once does.
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5000,
    });
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
    const databaseUrl = options.databaseUrl;
    const dedicatedConnection = (applicationName: string) =>
      new pg.Client({
        connectionString: databaseUrl,
        application_name: applicationName,
        connectionTimeoutMillis: 5000,
      });
    const syncLazyCommits = async () => {};
    // PostgreSQL groups concurrent commits' WAL flushes by itself.
    const writeTransaction = <T>(fn: (trx: Transaction<Database>) => Promise<T>) => db.transaction().execute(fn);
    return {
      db,
      dialect: "postgres",
      location: url.toString(),
      accessLog: { dialect: "postgres", url: databaseUrl },
      lazyTransaction,
      writeTransaction,
      syncLazyCommits,
      dedicatedConnection,
      close: () => db.destroy(),
    };
  }
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, "keyplane.db");
  const accessLogFile = join(options.dataDir, "access-log.db");
  ownerOnly([file, accessLogFile]);
  const sqlite = new SqliteDatabase(file);
  // One server owns an SQLite data dir (several replicas need PostgreSQL). Exclusive locking
  // refuses a second server on the same file and spares every read its file-lock system calls.
  sqlite.pragma("locking_mode = EXCLUSIVE");
  sqlite.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives a crash of the process or of the machine.
  const durable = "synchronous = FULL";
  sqlite.pragma(durable);
  sqlite.pragma("busy_timeout = 5000");
  attachAccessLogFile(sqlite, accessLogFile);
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
  const wal = new WalSync(`${file}-wal`);
  const close = async () => {
    await db.destroy();
    await wal.close();
  };
  const writeTransaction = async <T>(fn: (trx: Transaction<Database>) => Promise<T>) => {
    const out = await lazyTransaction(fn);
    await wal.sync();
    return out;
  };
  return {
    db,
    dialect: "sqlite",
    location: file,
    accessLog: { dialect: "sqlite", file: accessLogFile },
    lazyTransaction,
    writeTransaction,
    syncLazyCommits: () => wal.sync(),
    close,
  };
}

/**
 * The database files readable and writable by their owner only (0600), made so before SQLite
 * opens them: SQLite gives a database's WAL and shared-memory files the mode of the database.
 * Files an older server made with the process's umask are narrowed too.
 */
function ownerOnly(files: string[]) {
  for (const f of files) {
    closeSync(openSync(f, "a", 0o600));
    for (const each of [f, `${f}-wal`, `${f}-shm`]) if (existsSync(each)) chmodSync(each, 0o600);
  }
}

/**
 * fdatasync of SQLite's WAL file from libuv's thread pool: what synchronous = FULL does at each
 * commit, once for every commit since the last flush (group commit). A flush already running may
 * have started before a commit, so callers that arrive meanwhile share the next one. The
 * descriptor stays open (closing one would drop any POSIX lock this process holds on the file)
 * and is opened again only if the file was replaced, so a sync never goes to a file SQLite no
 * longer writes.
 */
class WalSync {
  private handle: FileHandle | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  // Replaced files' descriptors, closed with the store (after SQLite's own).
  private readonly stale: FileHandle[] = [];

  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    if (!this.running) {
      this.running = this.flush().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  private async flush(): Promise<void> {
    const current = await stat(this.path);
    if (this.handle && (await this.handle.stat()).ino !== current.ino) {
      this.stale.push(this.handle);
      this.handle = undefined;
    }
    this.handle ??= await open(this.path, "r");
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    for (const h of [...this.stale, ...(this.handle ? [this.handle] : [])]) await h.close();
    this.handle = undefined;
  }
}

// Socket errors, and SQLSTATEs of a database that is going or not yet back: class 08 (connection
// exception), 57P01-03 (shut down by an operator, crashed, starting up), 53300 (no connection slot).
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/**
 * True when the error says the database cannot be reached (rather than that a query was
 * wrong): such a call is answered 503 and may be retried. pg reports a dropped connection
 * or a connect timeout by message only.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (typeof e?.code === "string" && (UNREACHABLE_CODES.has(e.code) || e.code.startsWith("08"))) return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /^Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed/.test(message);
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string } | null;
  return e?.code === "23505" || e?.code === "SQLITE_CONSTRAINT_UNIQUE" || e?.code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
