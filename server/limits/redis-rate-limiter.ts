import Redis from "ioredis";
import { ADMITTED, type RateDecision, type RateLimit, type RateLimiter, refusedFor } from "./rate-limiter";

// INCR and PEXPIRE in one script, so the first call of a window always sets its end, and
// the count and the time left come back together. Redis's own clock ends windows, so
// replicas whose clocks differ still share one window.
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

type HitCommand = (key: string, windowMs: number) => Promise<[number, number]>;

/**
 * Rate limits shared by every replica that points at the same Redis. While Redis cannot
 * be reached, calls are counted per process instead (the limit then holds per replica)
 * rather than refusing every call or admitting every call.
 */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly hitScript: HitCommand;

  private constructor(
    redis: Redis,
    private readonly fallback: RateLimiter,
    private readonly onError: (e: Error) => void,
  ) {
    this.redis = redis;
    redis.defineCommand("keyplaneHit", { numberOfKeys: 1, lua: HIT });
    this.hitScript = (redis as unknown as { keyplaneHit: HitCommand }).keyplaneHit.bind(redis);
  }

  /** Connects before the server takes calls; a Redis that is not there at start is a configuration error. */
  static async connect(url: string, fallback: RateLimiter, onError: (e: Error) => void): Promise<RedisRateLimiter> {
    // Auto-pipelining sends the calls of one event-loop turn in one write: under load many
    // gateway calls share a round trip instead of queueing for one each.
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      enableAutoPipelining: true,
    });
    redis.on("error", () => undefined); // reported per failed call below; reconnects on its own
    try {
      await redis.connect();
    } catch (e) {
      redis.disconnect();
      throw new Error(`cannot reach Redis at ${redactedUrl(url)}: ${(e as Error).message}`);
    }
    return new RedisRateLimiter(redis, fallback, onError);
  }

  async hit(keyId: string, rule: RateLimit, now: number): Promise<RateDecision> {
    const windowMs = rule.windowSeconds * 1000;
    try {
      // The hash tag keeps a key's counters on one Redis Cluster slot.
      const [count, msLeft] = await this.hitScript(`keyplane:rl:{${keyId}}:${rule.windowSeconds}`, windowMs);
      return count <= rule.limit ? ADMITTED : refusedFor(msLeft > 0 ? msLeft : windowMs);
    } catch (e) {
      this.onError(e as Error);
      return this.fallback.hit(keyId, rule, now);
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
    await this.fallback.close();
  }
}

/** A Redis URL for logs: never its password. */
export function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "redacted";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}
