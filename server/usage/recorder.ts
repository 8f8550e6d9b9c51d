import { recordLastUsed } from "../store/api-keys";
import type { Store } from "../store/database";
import type { KeyUsageRow } from "../store/schema";
import { addUsage } from "../store/usage";
import type { LoggedCall } from "./access-log-batch";
import { AccessLogWriter } from "./access-log-writer";
import type { Tokens } from "./tokens";

/** One gateway call as it ended: admitted (outcome "ok") or refused with its code. */
export interface GatewayCall extends LoggedCall {
  /** The id of the deployment the call named, when it was found. */
  deploymentId: string | null;
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

const DAY_MS = 86_400_000;
// The day's name is formatted once per day, not once per call.
let lastDay = { number: Number.NaN, name: "" };
function utcDay(ms: number): string {
  const number = Math.floor(ms / DAY_MS);
  if (number !== lastDay.number) lastDay = { number, name: new Date(number * DAY_MS).toISOString().slice(0, 10) };
  return lastDay.name;
}

/**
 * Usage and lastUsedAt, gathered in memory and written by a flush (every `flushMs`, and all
 * of it on close), so an admitted call costs the hot path no database round trip; the
 * access log, handed to its own thread (AccessLogWriter). A flush commits without waiting for
 * the disk and then syncs it off the event loop: a crash of the machine loses at most about
 * two flushes' worth. A flush that fails keeps its rows for the next one.
 */
export class UsageRecorder {
  private usage = new Map<string, KeyUsageRow>();
  private lastUsed = new Map<string, number>();
  private readonly log: AccessLogWriter;
  private flushing: Promise<void> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[];
  readonly retentionMs: number;

  constructor(
    private readonly store: Pick<Store, "dialect" | "lazyTransaction" | "syncLazyCommits" | "accessLog">,
    private readonly sink: UsageSink,
    private readonly options: RecorderOptions,
  ) {
    this.retentionMs = options.accessLogRetentionMs;
    this.log = new AccessLogWriter({
      target: store.accessLog,
      postMs: Math.min(100, options.flushMs ?? 1000),
      maxPending: MAX_PENDING_LOG,
      onError: options.onError,
    });
    this.timers = [
      setInterval(() => void this.flush(), options.flushMs ?? 1000),
      setInterval(() => void this.sweep(), options.sweepMs ?? Math.min(60_000, options.accessLogRetentionMs)),
    ];
    for (const t of this.timers) t.unref();
  }

  record(call: GatewayCall): void {
    if (call.projectId !== null) this.sink.recordProjectCall(call.projectId, call.outcome, call.tokens);
    this.log.append(call);
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
    return Promise.all([this.flushing, this.log.flush()]).then(() => {});
  }

  private async writeOnce(): Promise<void> {
    if (this.usage.size === 0) return;
    const usage = this.usage;
    const lastUsed = this.lastUsed;
    this.usage = new Map();
    this.lastUsed = new Map();
    try {
      await this.store.lazyTransaction(async (trx) => {
        await addUsage(trx, this.store.dialect, [...usage.values()]);
        await recordLastUsed(trx, this.store.dialect, lastUsed);
      });
    } catch (e) {
      this.keep(usage, lastUsed);
      this.options.onError("usage not written yet; will retry", e as Error);
      return;
    }
    // Committed: a failed sync is told, never retried as a write (that would count twice).
    try {
      await this.store.syncLazyCommits();
    } catch (e) {
      this.options.onError("usage written but not synced to disk", e as Error);
    }
  }

  /** Puts a failed batch back in front of what arrived meanwhile. */
  private keep(usage: Map<string, KeyUsageRow>, lastUsed: Map<string, number>) {
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
  }

  /** Deletes the access log's entries past the retention; resolves with how many. */
  async sweep(): Promise<number> {
    try {
      return await this.log.sweep(this.options.now() - this.retentionMs);
    } catch (e) {
      this.options.onError("access log entries past retention not deleted yet", e as Error);
      return 0;
    }
  }

  /** Graceful shutdown: stop the timers, write everything. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    await this.flush();
    await this.log.close();
  }
}
