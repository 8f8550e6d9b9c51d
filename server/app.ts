import type { BlockList } from "node:net";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { auditHandlers } from "./audit/handlers";
import { consolePlugin } from "./console/plugin";
import type { Keyring } from "./crypto/keyring";
import { deploymentHandlers } from "./deployments/handlers";
import { EgressPolicy } from "./gateway/egress";
import { GatewayLookupCache } from "./gateway/lookup-cache";
import { gatewayPlugin } from "./gateway/plugin";
import type { Handlers, Services } from "./http/context";
import { docsPlugin } from "./http/docs";
import { ApiError } from "./http/errors";
import { loggableUrl } from "./http/log-redaction";
import { Metrics } from "./http/metrics";
import { opsPlugin } from "./http/ops";
import { jsonTooDeep, MAX_JSON_DEPTH } from "./http/parse-input";
import type { AppParts } from "./http/parts";
import { bindingHandlers } from "./keys/bindings";
import { apiKeyHandlers } from "./keys/handlers";
import { UseSpender } from "./keys/use-spender";
import { leaksPlugin } from "./leaks/plugin";
import type { VerifyingKeys } from "./leaks/verifying-keys";
import { KeyLimits } from "./limits/key-limits";
import type { RateLimiter } from "./limits/rate-limiter";
import { managementPlugin } from "./management/plugin";
import { projectHandlers } from "./projects/handlers";
import { secretHandlers } from "./secrets/handlers";
import { isDatabaseUnreachable, type Store } from "./store/database";
import { type GatewayLookup, LOOKUP_READS } from "./store/gateway-lookup";
import { LookupChanges, watchLookupColumns } from "./store/lookup-invalidation";
import { usageHandlers } from "./usage/handlers";
import { UsageRecorder } from "./usage/recorder";

export interface AppOptions {
  store: Store;
  keyring: Keyring;
  adminToken: string;
  /** Injected clock (epoch ms), for tests of expiry. */
  now?: () => number;
  /** pino options or false; logs never carry a credential or a secret value. */
  logger?: boolean | Record<string, unknown>;
  bodyLimit?: number;
  version?: string;
  /** Idle timeout of the gateway's upstream calls (default 60 s). */
  upstreamTimeoutMs?: number;
  /** Counts calls against keys' rate limits: in-process, or shared through Redis. */
  rateLimiter: RateLimiter;
  /** Proxies whose X-Forwarded-For is believed; none: the connection's address is the client's. */
  trustedProxies?: BlockList;
  /** How long access-log entries are kept (default 7 days). */
  accessLogRetentionMs?: number;
  /** How often entries past the retention are deleted (default: every minute, or the retention if shorter). */
  accessLogSweepMs?: number;
  /** How often counted usage and access-log entries are written (default 1s). */
  usageFlushMs?: number;
  /** Where the gateway may send upstream calls (default: the built-in deny list only). */
  egress?: EgressPolicy;
  /** When set, GET /metrics needs `Authorization: Bearer <it>` (or the admin token). */
  metricsToken?: string;
  /** Scanners' public keys that may sign leak reports (none: only management credentials may report). */
  verifyingKeys?: VerifyingKeys;
  /** Gateway lookups remembered (default 10,000; 0: none): one per key and deployment called. */
  lookupCacheSize?: number;
}

const DAY_MS = 86_400_000;

/** Every management route's handler, each typed from its route-table entry: one missing is a compile error. */
const HANDLERS = {
  ...projectHandlers,
  ...deploymentHandlers,
  ...apiKeyHandlers,
  ...bindingHandlers,
  ...secretHandlers,
  ...auditHandlers,
  ...usageHandlers,
} satisfies Handlers;

/** The app-wide parts every plugin inherits: error bodies, body parsing, 404s and per-route metrics. */
function installCommon(app: FastifyInstance, metrics: Metrics) {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    // The database gone (PostgreSQL restarting, a network cut) is not the request's fault nor a bug.
    if (isDatabaseUnreachable(error)) {
      request.log.warn({ err: { message: error.message } }, "database unreachable");
      return reply
        .code(503)
        .header("retry-after", "1")
        .send(new ApiError("unavailable", "the database cannot be reached; retry shortly").body());
    }
    const status: number = error.statusCode ?? 500;
    if (status === 413)
      return reply.code(413).send(new ApiError("payload_too_large", "the request body is too large").body());
    if (status === 415)
      return reply.code(415).send(new ApiError("unsupported_media_type", "send the body as application/json").body());
    if (status >= 400 && status < 500) {
      request.log.debug({ code: error.code }, "client error");
      const code =
        error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error instanceof SyntaxError
          ? "invalid_json"
          : "invalid_request";
      return reply
        .code(400)
        .send(
          new ApiError(
            code,
            code === "invalid_json" ? "the body is not valid JSON" : "the request is not valid",
          ).body(),
        );
    }
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, "request failed");
    return reply.code(500).send(new ApiError("internal", "internal error").body());
  });
  // Body-less calls (PUT a binding, DELETE a key, POST renew) may come with any content type
  // or none; many clients always send application/json, so an empty JSON body is no body.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if (body === "") return done(null, undefined);
    if (jsonTooDeep(body as string))
      return done(
        new ApiError("invalid_body", `the body nests arrays and objects more than ${MAX_JSON_DEPTH} deep`),
        undefined,
      );
    return json(req, body as string, done);
  });
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) =>
    done(null, body === "" ? undefined : body),
  );
  app.setNotFoundHandler((request, reply) => {
    metrics.recordRequest("unmatched", request.method, 404, reply.elapsedTime / 1000);
    return reply
      .code(404)
      .send(new ApiError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`).body());
  });

  // Each route records its own metrics with a hook made for it: looking the route up per
  // call (request.routeOptions builds an object) cost the gateway a tenth of its throughput.
  app.addHook("onRoute", (route) => {
    const url = route.url;
    const record = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      metrics.recordRequest(url, request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [
      ...(Array.isArray(route.onResponse) ? route.onResponse : route.onResponse ? [route.onResponse] : []),
      record,
    ];
  });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const metrics = new Metrics();
  const now = options.now ?? Date.now;
  let logError = (_what: string, _e: Error) => {};
  const usage = new UsageRecorder(options.store, metrics, {
    now,
    accessLogRetentionMs: options.accessLogRetentionMs ?? 7 * DAY_MS,
    sweepMs: options.accessLogSweepMs,
    flushMs: options.usageFlushMs,
    onError: (what, e) => logError(what, e),
  });
  const services: Services = { db: options.store.db, keyring: options.keyring, now, usage };
  const egress = options.egress ?? new EgressPolicy();
  // SQLite: every write goes through this process, so the cache is always usable. PostgreSQL:
  // only while this replica hears of the others' writes (see LookupChanges).
  let changes: LookupChanges | undefined;
  const cacheSize = options.lookupCacheSize ?? 10_000;
  const lookups = new GatewayLookupCache<GatewayLookup>(() => cacheSize > 0 && (changes?.fresh() ?? true), cacheSize);
  const connect = options.store.dedicatedConnection;
  if (connect) {
    await watchLookupColumns(options.store.db, LOOKUP_READS);
    changes = new LookupChanges(
      () => connect("keyplane-lookup-changes"),
      () => lookups.forgetAll(),
      (e) => logError("lookup change notifications lost; serving lookups from the database until they are back", e),
    );
    await changes.start();
  }
  const parts: AppParts = { services, metrics, lookups, writeTransaction: options.store.writeTransaction };
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: process.env.KEYPLANE_LOG_LEVEL ?? "info",
            redact: {
              paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie"],
              censor: "[redacted]",
            },
            // Fastify's own request fields, with any credential in the query replaced.
            serializers: {
              req: (req: {
                method: string;
                url: string;
                host?: string;
                hostname?: string;
                ip?: string;
                socket?: { remotePort?: number };
              }) => ({
                method: req.method,
                url: loggableUrl(req.url),
                host: req.host ?? req.hostname,
                remoteAddress: req.ip,
                remotePort: req.socket?.remotePort,
              }),
            },
            ...(typeof options.logger === "object" ? options.logger : {}),
          },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });
  installCommon(app, parts.metrics);
  logError = (what, e) => app.log.warn({ err: { message: e.message } }, what);
  app.addHook("onClose", async () => {
    // Graceful shutdown: every counted call and access-log entry is written before the store closes.
    await usage.close();
    await options.rateLimiter.close();
    await changes?.close();
  });

  // The app's surfaces, one plugin each; a new one is one more line here, and inherits the
  // error bodies, parsers and metrics above.
  const limits = new KeyLimits(options.rateLimiter);
  // Who holds the admin token: checked by value, and by a keyed fingerprint for the sessions it made.
  const admin = {
    token: options.adminToken,
    fingerprint: options.keyring.fingerprint("admin token", options.adminToken),
  };
  const callers = { admin, limits, trustedProxies: options.trustedProxies };
  await app.register(opsPlugin, { ...parts, metricsToken: options.metricsToken, adminToken: options.adminToken });
  await app.register(docsPlugin, { version: options.version ?? "0.0.0" });
  await app.register(managementPlugin, { ...parts, callers, handlers: HANDLERS, egress });
  await app.register(consolePlugin, { services, callers });
  await app.register(leaksPlugin, { ...parts, callers, verifyingKeys: options.verifyingKeys ?? new Map() });
  await app.register(gatewayPlugin, {
    ...parts,
    lookups,
    upstreamTimeoutMs: options.upstreamTimeoutMs ?? 60_000,
    limits,
    trustedProxies: options.trustedProxies,
    egress,
    usage,
    spender: new UseSpender(options.store.db, options.store.dialect),
    hopMark: options.keyring.fingerprint("gateway hop", "mark"),
  });
  return app;
}
