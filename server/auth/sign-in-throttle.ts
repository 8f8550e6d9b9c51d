import { type RateDecision, refusedFor } from "../limits/rate-limiter";

/** Failed console sign-ins allowed per client address in one window, before 429 until the window ends. */
const SIGN_IN_FAILURES = 10;
const SIGN_IN_WINDOW_MS = 15 * 60 * 1000;

/**
 * Counts failed console sign-ins per client address (per process): after SIGN_IN_FAILURES in a
 * window that starts at the first failure, that address is refused until the window ends.
 * Only the failing address waits: a right token from any other address still signs in.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { endsAt: number; count: number }>();

  constructor(private readonly maxAddresses = 100_000) {}

  check(client: string, now: number): RateDecision {
    const f = this.failures.get(client);
    if (f === undefined || f.endsAt <= now || f.count < SIGN_IN_FAILURES) return { ok: true };
    return refusedFor(f.endsAt - now);
  }

  failed(client: string, now: number): void {
    let f = this.failures.get(client);
    if (f === undefined || f.endsAt <= now) {
      if (this.failures.size >= this.maxAddresses) {
        for (const [c, old] of this.failures) if (old.endsAt <= now) this.failures.delete(c);
        if (this.failures.size >= this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
      }
      f = { endsAt: now + SIGN_IN_WINDOW_MS, count: 0 };
      this.failures.set(client, f);
    }
    f.count++;
  }

  succeeded(client: string): void {
    this.failures.delete(client);
  }
}
