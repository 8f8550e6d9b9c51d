import { performance } from "node:perf_hooks";
import { type Kysely, sql } from "kysely";
import type pg from "pg";
import type { Database } from "./schema";

// PostgreSQL only. Every committed change to a row the gateway lookup reads bumps one epoch
// and notifies CHANNEL; each replica listens, and polls the epoch as a backstop.

const CHANNEL = "keyplane_lookup";
const TRIGGER = "keyplane_lookup_changed";
/** How often the epoch is read; a cache is served only while the last read began less than FRESH_MS ago. */
const POLL_MS = 250;
const FRESH_MS = 1000;

/**
 * Makes each table's trigger watch exactly the columns given (inserts and deletes always),
 * replacing one that watches others: run on every start, so a column added to the lookup is
 * watched from the first start of the server that reads it. Under an advisory lock, so
 * replicas starting together do not race.
 *
 * Deferred row-level constraint triggers, not statement-level ones: the epoch row is then
 * locked only at commit, once per transaction, after every row lock of the transaction is
 * held, so two writers can never deadlock over it.
 */
export async function watchLookupColumns(db: Kysely<Database>, reads: Record<string, string[]>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext(${TRIGGER}))`.execute(trx);
    const installed = await watchedLookupColumns(trx);
    for (const [table, columns] of Object.entries(reads)) {
      const want = [...columns].sort();
      const has = installed[table]?.sort();
      if (has && has.join() === want.join()) continue;
      if (has) await sql`drop trigger ${sql.id(TRIGGER)} on ${sql.id(table)}`.execute(trx);
      await sql`create constraint trigger ${sql.id(TRIGGER)} after insert or delete or update of ${sql.join(want.map((c) => sql.id(c)))} on ${sql.id(table)}
        deferrable initially deferred for each row execute function keyplane_lookup_changed()`.execute(trx);
    }
  });
}

/** Which columns each table's trigger watches, as installed. */
export async function watchedLookupColumns(db: Kysely<Database>): Promise<Record<string, string[]>> {
  const rows = await sql<{ table: string; column: string }>`
    select c.relname as table, a.attname as column
    from pg_trigger t join pg_class c on c.oid = t.tgrelid, unnest(t.tgattr) as n join pg_attribute a on a.attnum = n
    where t.tgname = ${TRIGGER} and a.attrelid = t.tgrelid`.execute(db);
  const out: Record<string, string[]> = {};
  for (const r of rows.rows) {
    out[r.table] ??= [];
    out[r.table].push(r.column);
  }
  return out;
}

/**
 * One replica's view of the epoch, on a connection of its own that LISTENs: `forget` is called
 * on every notification, every epoch change seen by a poll, and whenever the connection is
 * lost or regained. `fresh()` says whether a cached lookup may be served: only while the
 * connection listens and its last poll began less than a second ago. So a write acknowledged
 * at T is seen by every lookup that starts after T + 1 s, whatever happened to notifications.
 */
export class LookupChanges {
  private client: pg.Client | undefined;
  private listening = false;
  private epoch: string | undefined;
  private lastPollStart = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private reported = false;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly forget: () => void,
    private readonly onError: (e: Error) => void,
  ) {}

  fresh(): boolean {
    return this.listening && performance.now() - this.lastPollStart < FRESH_MS;
  }

  /** Resolves once the first connection was tried (listening or not: a failure retries in the background). */
  async start(): Promise<void> {
    await this.open();
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    const client = this.connect();
    this.client = client;
    const lost = (e?: Error) => {
      if (this.client !== client) return;
      // Told once per outage, not at every attempt to reconnect.
      if (e && !this.closed && !this.reported) {
        this.reported = true;
        this.onError(e);
      }
      this.down();
    };
    client.on("error", lost);
    client.on("end", () => lost());
    client.on("notification", () => this.forget());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listening = true;
      this.reported = false;
      await this.poll();
    } catch (e) {
      lost(e as Error);
    }
  }

  private async poll(): Promise<void> {
    const client = this.client;
    if (!client || !this.listening) return;
    const start = performance.now();
    const r = await client.query<{ epoch: string }>("select epoch::text as epoch from keyplane_lookup_epoch");
    if (this.client !== client) return;
    const epoch = r.rows[0]?.epoch;
    if (epoch !== this.epoch) {
      this.epoch = epoch;
      this.forget();
    }
    this.lastPollStart = start;
    this.timer = setTimeout(() => void this.poll().catch((e) => this.pollFailed(client, e)), POLL_MS);
    this.timer.unref();
  }

  private pollFailed(client: pg.Client, e: Error): void {
    if (this.client !== client) return;
    this.reported = true;
    this.onError(e);
    this.down();
  }

  private down(): void {
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    this.epoch = undefined;
    clearTimeout(this.timer);
    this.forget();
    client?.end().catch(() => undefined);
    if (this.closed) return;
    this.timer = setTimeout(() => void this.open(), POLL_MS);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    await client?.end().catch(() => undefined);
  }
}
