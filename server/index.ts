import type { FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { Keyring } from "./crypto/keyring";
import { loadAdminToken, loadMasterKey } from "./crypto/local-credentials";
import { EgressPolicy, type Resolver } from "./gateway/egress";
import { loadVerifyingKeys } from "./leaks/verifying-keys";
import { cidrList } from "./limits/cidr";
import { InProcessRateLimiter, type RateLimiter } from "./limits/rate-limiter";
import { RedisRateLimiter, redactedUrl } from "./limits/redis-rate-limiter";
import { openStore, type Store } from "./store/database";

export { buildApp } from "./app";
export { openStore } from "./store/database";

export interface ServerOptions {
  port?: number;
  host?: string;
  dataDir: string;
  databaseUrl?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: Record<string, string | undefined>;
  now?: () => number;
  logger?: boolean | Record<string, unknown>;
  /** Share rate limits with every replica on this Redis (else each process counts its own). */
  redisUrl?: string;
  /** Addresses or CIDRs of proxies whose X-Forwarded-For is believed. */
  trustedProxies?: string[];
  accessLogRetentionMs?: number;
  accessLogSweepMs?: number;
  /** How often counted usage is written (default 1s); tests lengthen it to see that shutdown writes it. */
  usageFlushMs?: number;
  /** Idle timeout of the gateway's upstream calls, in ms (default 60 s). */
  upstreamTimeoutMs?: number;
  /** CIDRs or host names upstream calls may reach even where the default egress policy refuses. */
  upstreamAllow?: string[];
  /** CIDRs or host names upstream calls may not reach (besides link-local and metadata addresses). */
  upstreamDeny?: string[];
  /** How upstream host names are resolved (default: the system's resolver); tests inject their own. */
  upstreamResolver?: Resolver;
  /** When set, GET /metrics needs it as a bearer token (default: none, $KEYPLANE_METRICS_TOKEN). */
  metricsToken?: string;
  /** A file of scanners' public keys that may sign leak reports (GitHub's published format). */
  leakKeysFile?: string;
  /** Gateway lookups remembered (default 10,000; 0: none). */
  lookupCacheSize?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  adminToken: string;
  adminTokenSource: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const master = loadMasterKey(options.dataDir, env.KEYPLANE_MASTER_KEY);
  const admin = loadAdminToken(options.dataDir, env.KEYPLANE_ADMIN_TOKEN);
  // Read before anything opens: a bad file stops the start with its name and entry.
  const verifyingKeys = options.leakKeysFile ? loadVerifyingKeys(options.leakKeysFile) : undefined;
  let log: ((err: Error) => void) | undefined;
  let warnRedis: ((err: Error) => void) | undefined;
  const rateLimiter: RateLimiter = options.redisUrl
    ? await RedisRateLimiter.connect(options.redisUrl, new InProcessRateLimiter(), (err) => warnRedis?.(err))
    : new InProcessRateLimiter();
  let store: Store;
  try {
    store = await openStore({
      dataDir: options.dataDir,
      databaseUrl: options.databaseUrl,
      onPoolError: (err) => log?.(err),
    });
  } catch (e) {
    await rateLimiter.close();
    throw e;
  }
  const egress = new EgressPolicy({
    allow: options.upstreamAllow,
    deny: options.upstreamDeny,
    resolver: options.upstreamResolver,
  });
  const app = await buildApp({
    egress,
    metricsToken: options.metricsToken ?? (env.KEYPLANE_METRICS_TOKEN || undefined),
    rateLimiter,
    trustedProxies: options.trustedProxies?.length ? cidrList(options.trustedProxies) : undefined,
    accessLogRetentionMs: options.accessLogRetentionMs,
    accessLogSweepMs: options.accessLogSweepMs,
    usageFlushMs: options.usageFlushMs,
    store,
    keyring: new Keyring(master.key),
    adminToken: admin.token,
    now: options.now,
    logger: options.logger,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    verifyingKeys,
    lookupCacheSize: options.lookupCacheSize,
    version: require("../package.json").version,
  });
  log = (err) =>
    app.log.warn({ err: { message: err.message } }, "database connection dropped; the pool will reconnect");
  // Once per outage burst is enough for an operator; every failed call would flood the log.
  let lastRedisWarning = 0;
  warnRedis = (err) => {
    if (Date.now() - lastRedisWarning < 10_000) return;
    lastRedisWarning = Date.now();
    app.log.warn(
      { err: { message: err.message } },
      "Redis unreachable: rate limits are counted per replica until it is back",
    );
  };
  const address = await app.listen({ port: options.port ?? 8420, host: options.host ?? "127.0.0.1" });
  // The gateway never calls the address it answers on.
  egress.listeningOn(app.addresses().filter((a) => typeof a !== "string"));
  app.log.info(
    {
      store: store.dialect,
      location: store.location,
      masterKey: master.source,
      adminToken: admin.source,
      rateLimits: options.redisUrl ? redactedUrl(options.redisUrl) : "in-process",
      leakReportKeys: verifyingKeys ? [...verifyingKeys.keys()] : [],
    },
    "keyplane server ready",
  );
  let closed = false;
  return {
    app,
    store,
    url: address.replace("[::1]", "127.0.0.1"),
    adminToken: admin.token,
    adminTokenSource: admin.source,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await store.close();
    },
  };
}
