import { appendAccessLog, forgetAccessLogBefore } from "../store/access-log";
import { recordLastUsed } from "../store/api-keys";
import type { Store } from "../store/database";
import type { KeyUsageRow, NewAccessLogRow } from "../store/schema";
import { addUsage } from "../store/usage";
import type { Tokens } from "./tokens";

/** One gateway call as it ended: admitted (outcome "ok") or refused with its code. */
export interface GatewayCall {
  at: number;
  /** Known once the presented key was found. */
  projectId: string | null;
  apiKeyId: string | null;
  /** The deployment the call named, and its id when it was found. */
  deployment: string | null;
  deploymentId: string | null;
  outcome: string;
  status: number;
  client: string;
  /** Set for admitted calls only: they are the ones that count as usage. */
  tokens?: Tokens;
}

export interface UsageSink {
  /** Per-project counters for /metrics. */
  recordProjectCall(projectId: string, outcome: string, tokens: Tokens | undefined): void;
}

export interface RecorderOptions {
  /** At most this long between a call and its rows being written. */
  flushMs?: number;
  accessLogRetentionMs: number;
  /** How often entries past the retention are deleted. */
  sweepMs?: number;
  now: () => number;
  onError: (what: string, e: Error) => void;
}

// Unwritten access-log entries kept while the database cannot be reached; past it the oldest go.
const MAX_PENDING_LOG = 100_000;
// Access-log rows per transaction of a flush (a few milliseconds of SQLite's time).
const LOG_SLICE = 1000;

const DAY_MS = 86_400_000;
// The day's name is formatted once per day, not once per call.
let lastDay = { number: Number.NaN, name: "" };
function utcDay(ms: number): string {
  const number = Math.floor(ms / DAY_MS);
  if (number !== lastDay.number) lastDay = { number, name: new Date(number * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.name;
}

/**
 * Usage, lastUsedAt and the access log, gathered in memory and written by a flush (every
 * `flushMs`, and all of it on close), so an admitted call costs the hot path no database
 * round trip. A flush syncs the disk once, after its first commit and off the event loop (a
 * sync per slice would cost more than the writes): a crash of the machine loses at most
 * about two flushes' worth.
 * A flush that fails keeps its rows for the next one.
 */
export class UsageRecorder {
  private usage = new Map<string, KeyUsageRow>();
  private lastUsed = new Map<string, number>();
  private log: NewAccessLogRow[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[];
  readonly retentionMs: number;

  constructor(
    private readonly store: Pick<Store, "db" | "dialect" | "lazyTransaction" | "syncLazyCommits">,
    private readonly sink: UsageSink,
    private readonly options: RecorderOptions,
  ) {
    this.retentionMs = options.accessLogRetentionMs;
    this.timers = [
      setInterval(() => void this.flush(), options.flushMs ?? 1000),
      setInterval(() => void this.sweep(), options.sweepMs ?? Math.min(60_000, options.accessLogRetentionMs)),
    ];
    for (const t of this.timers) t.unref();
  }

  record(call: GatewayCall): void {
    if (call.projectId !== null) this.sink.recordProjectCall(call.projectId, call.outcome, call.tokens);
    if (this.log.length >= MAX_PENDING_LOG) this.log.shift();
    this.log.push({
      at: call.at,
      project_id: call.projectId,
      api_key_id: call.apiKeyId,
      deployment: call.deployment,
      outcome: call.outcome,
      status: call.status,
      client: call.client,
    });
    if (call.tokens === undefined || call.apiKeyId === null || call.projectId === null || call.deploymentId === null)
      return;
    const day = utcDay(call.at);
    const id = `${call.apiKeyId}\u0000${call.deploymentId}\u0000${day}`;
    const bucket = this.usage.get(id);
    if (bucket) {
      bucket.requests += 1;
      bucket.prompt_tokens += call.tokens.prompt;
      bucket.completion_tokens += call.tokens.completion;
    } else {
      this.usage.set(id, {
        api_key_id: call.apiKeyId,
        deployment_id: call.deploymentId,
        day,
        project_id: call.projectId,
        requests: 1,
        prompt_tokens: call.tokens.prompt,
        completion_tokens: call.tokens.completion,
      });
    }
    if ((this.lastUsed.get(call.apiKeyId) ?? 0) < call.at) this.lastUsed.set(call.apiKeyId, call.at);
  }

  /** Writes everything recorded so far; resolves once it is durable (or has failed and been kept). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writeOnce());
    return this.flushing;
  }

  private async writeOnce(): Promise<void> {
    if (this.usage.size === 0 && this.log.length === 0) return;
    const usage = this.usage;
    const lastUsed = this.lastUsed;
    const log = this.log;
    this.usage = new Map();
    this.lastUsed = new Map();
    this.log = [];
    // A second of calls at full speed is thousands of log rows, and SQLite writes on this
    // thread: the log goes in slices, one transaction each, with the event loop free between
    // them, so no call waits behind more than one slice. Usage goes with the first slice;
    // every commit is lazy, and a sync off the event loop then makes it durable with the
    // previous flush's slices.
    try {
      await this.store.lazyTransaction(async (trx) => {
        await addUsage(trx, this.store.dialect, [...usage.values()]);
        await recordLastUsed(trx, this.store.dialect, lastUsed);
        await appendAccessLog(trx, this.store.dialect, log.slice(0, LOG_SLICE));
      });
    } catch (e) {
      this.keep(usage, lastUsed, log);
      this.options.onError("usage and access log not written yet; will retry", e as Error);
      return;
    }
    // Committed: a failed sync is told, never retried as a write (that would count twice).
    try {
      await this.store.syncLazyCommits();
    } catch (e) {
      this.options.onError("usage written but not synced to disk", e as Error);
    }
    for (let i = LOG_SLICE; i < log.length; i += LOG_SLICE) {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await this.store.lazyTransaction((trx) =>
          appendAccessLog(trx, this.store.dialect, log.slice(i, i + LOG_SLICE)),
        );
      } catch (e) {
        this.keep(new Map(), new Map(), log.slice(i));
        this.options.onError("access log not written yet; will retry", e as Error);
        return;
      }
    }
  }

  /** Puts a failed batch back in front of what arrived meanwhile. */
  private keep(usage: Map<string, KeyUsageRow>, lastUsed: Map<string, number>, log: NewAccessLogRow[]) {
    for (const [id, b] of this.usage) {
      const old = usage.get(id);
      if (old) {
        old.requests += b.requests;
        old.prompt_tokens += b.prompt_tokens;
        old.completion_tokens += b.completion_tokens;
      } else usage.set(id, b);
    }
    this.usage = usage;
    for (const [id, at] of this.lastUsed) if ((lastUsed.get(id) ?? 0) < at) lastUsed.set(id, at);
    this.lastUsed = lastUsed;
    this.log = [...log, ...this.log].slice(-MAX_PENDING_LOG);
  }

  private async sweep(): Promise<void> {
    try {
      await forgetAccessLogBefore(this.store.db, this.options.now() - this.retentionMs);
    } catch (e) {
      this.options.onError("access log entries past retention not deleted yet", e as Error);
    }
  }

  /** Graceful shutdown: stop the timers, write everything. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush();
  }
}
