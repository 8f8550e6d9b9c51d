/** A call admitted, or refused with the seconds until its key's window ends. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/**
 * Counts calls per key in fixed windows that start at the key's first call after the
 * previous window ended: exactly `limit` calls pass in any one window, however many arrive
 * together. One implementation per process, one shared through Redis.
 */
export interface RateLimiter {
  hit(keyId: string, rule: RateLimit, now: number): RateDecision | Promise<RateDecision>;
  close(): Promise<void>;
}

export const ADMITTED: RateDecision = { ok: true };

export const refusedFor = (msLeft: number): RateDecision => ({
  ok: false,
  retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
});

/** Exact on one process: the check and the count are one synchronous step. */
export class InProcessRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { endsAt: number; count: number }>();

  constructor(private readonly maxKeys = 100_000) {}

  hit(keyId: string, rule: RateLimit, now: number): RateDecision {
    // The window length is part of the name, so a changed window starts afresh.
    const id = `${keyId}:${rule.windowSeconds}`;
    let w = this.windows.get(id);
    if (w === undefined || w.endsAt <= now) {
      if (w === undefined && this.windows.size >= this.maxKeys) this.forgetEnded(now);
      w = { endsAt: now + rule.windowSeconds * 1000, count: 0 };
      this.windows.set(id, w);
    }
    if (w.count >= rule.limit) return refusedFor(w.endsAt - now);
    w.count++;
    return ADMITTED;
  }

  private forgetEnded(now: number) {
    for (const [id, w] of this.windows) if (w.endsAt <= now) this.windows.delete(id);
    // Still full of live windows: the oldest goes (its key then gets a fresh window).
    if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
  }

  async close(): Promise<void> {}
}
