import { andThen, type MaybePromise } from "../http/maybe-promise";
import type { ApiKeyRow } from "../store/schema";
import { AllowedCidrs } from "./cidr";
import type { RateLimiter } from "./rate-limiter";

type AddressRefusal = { ok: false; code: "ip_not_allowed"; message: string };
const ADDRESS_REFUSED: AddressRefusal = {
  ok: false,
  code: "ip_not_allowed",
  message: "this key may not be used from this address",
};
type RateRefusal = { ok: false; code: "rate_limited"; retryAfterSeconds: number };
const PASSED = { ok: true } as const;

/** The per-key checks of a gateway call beyond its lifetime: where it comes from, how often it calls. */
export class KeyLimits {
  private readonly cidrs = new AllowedCidrs();

  constructor(readonly limiter: RateLimiter) {}

  checkAddress(key: Pick<ApiKeyRow, "allowed_cidrs">, client: string): typeof PASSED | AddressRefusal {
    return this.cidrs.allows(key.allowed_cidrs, client) ? PASSED : ADDRESS_REFUSED;
  }

  /**
   * Counts the call against the key's rate limit; the last check, so refused calls elsewhere
   * spend nothing. Without a limit, or in-process, the answer comes at once (no promise).
   */
  checkRate(
    key: Pick<ApiKeyRow, "id" | "rate_limit" | "rate_window_seconds">,
    now: number,
  ): MaybePromise<typeof PASSED | RateRefusal> {
    if (key.rate_limit === null || key.rate_window_seconds === null) return PASSED;
    return andThen(
      this.limiter.hit(key.id, { limit: key.rate_limit, windowSeconds: key.rate_window_seconds }, now),
      (d) => (d.ok ? PASSED : { ok: false, code: "rate_limited", retryAfterSeconds: d.retryAfterSeconds }),
    );
  }
}
