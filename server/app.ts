import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { sql } from "kysely";
import type { z } from "zod";
import { fieldIssues, ROUTES, type RouteSpec } from "@keyplane/api";
import { ApiError } from "./api-error";
import { authorize } from "./authorize";
import { consolePlugin } from "./console/plugin";
import { principalName, type Principal, type RequestContext, type Services } from "./context";
import type { Keyring } from "./crypto/keyring";
import { handleGateway, type GatewayLookup } from "./gateway";
import { GatewayLookupCache } from "./gateway-lookup-cache";
import { apiKeyHandlers } from "./handlers/api-keys";
import { auditHandlers } from "./handlers/audit-log";
import { bindingHandlers } from "./handlers/bindings";
import { deploymentHandlers } from "./handlers/deployments";
import { projectHandlers } from "./handlers/projects";
import { secretHandlers } from "./handlers/secrets";
import { forgetExpiredAnswers, idempotencyClaim, storeAnswer, storedAnswer } from "./idempotency";
import { Metrics } from "./metrics";
import { UseSpender } from "./use-spender";
import { openApiDocument } from "./openapi";
import { isUniqueViolation, type Store } from "./store/database";

type Handler = (ctx: RequestContext) => Promise<unknown>;
const HANDLERS: Record<string, Handler> = {
  ...projectHandlers,
  ...deploymentHandlers,
  ...apiKeyHandlers,
  ...bindingHandlers,
  ...secretHandlers,
  ...auditHandlers,
};

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
}

function parseOrThrow(schema: z.ZodType | undefined, value: unknown, where: "body" | "query") {
  if (!schema) return value;
  const parsed = schema.safeParse(value ?? (where === "query" ? {} : undefined));
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `invalid ${where}: ${parsed.error.issues.map((i) => [where === "query" ? "query" : "", ...i.path].filter(Boolean).join(".") || where).join(", ")}`,
      fieldIssues(parsed.error, where === "query" ? "query" : ""),
    );
  }
  return parsed.data;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const services: Services = {
    db: options.store.db,
    keyring: options.keyring,
    now: options.now ?? Date.now,
    spender: new UseSpender(options.store.db, options.store.dialect === "sqlite"),
  };
  const metrics = new Metrics();
  // Only a store this process owns alone may be remembered (see GatewayLookupCache).
  const lookups = new GatewayLookupCache<GatewayLookup>(options.store.dialect === "sqlite");
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: process.env.KEYPLANE_LOG_LEVEL ?? "info",
            redact: { paths: ["req.headers.authorization", 'req.headers["x-api-key"]', "req.headers.cookie"], censor: "[redacted]" },
            ...(typeof options.logger === "object" ? options.logger : {}),
          },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
  });

  app.setErrorHandler((error: any, request, reply) => {
    if (error instanceof ApiError) return reply.code(error.status).send(error.body());
    const status: number = error.statusCode ?? 500;
    if (status === 413) return reply.code(413).send(new ApiError("payload_too_large", "the request body is too large").body());
    if (status === 415) return reply.code(415).send(new ApiError("unsupported_media_type", "send the body as application/json").body());
    if (status >= 400 && status < 500) {
      request.log.debug({ code: error.code }, "client error");
      const code =
        error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error instanceof SyntaxError || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY" ? "invalid_json" : "invalid_request";
      return reply.code(400).send(new ApiError(code, code === "invalid_json" ? "the body is not valid JSON" : "the request is not valid").body());
    }
    request.log.error({ err: { type: error.name, message: error.message, stack: error.stack } }, "request failed");
    return reply.code(500).send(new ApiError("internal", "internal error").body());
  });
  // Body-less calls (PUT a binding, POST renew) may come with any content type or none.
  app.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body === "" ? undefined : body));
  app.setNotFoundHandler((request, reply) => {
    metrics.recordRequest("unmatched", request.method, 404, reply.elapsedTime / 1000);
    return reply.code(404).send(new ApiError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`).body());
  });

  // Each route records its own metrics with a hook made for it: looking the route up per
  // call (request.routeOptions builds an object) cost the gateway a tenth of its throughput.
  app.addHook("onRoute", (route) => {
    const url = route.url;
    const record = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      metrics.recordRequest(url, request.method, reply.statusCode, reply.elapsedTime / 1000);
      done();
    };
    route.onResponse = [...(Array.isArray(route.onResponse) ? route.onResponse : route.onResponse ? [route.onResponse] : []), record];
  });

  const document = openApiDocument(options.version ?? "0.0.0");
  await app.register(swagger, { mode: "static", specification: { document: document as any } });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => document);
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => reply.type("text/plain; version=0.0.4").send(metrics.render()));
  await app.register(consolePlugin, { services, adminToken: options.adminToken });

  const runManagement = async (spec: RouteSpec, request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Record<string, string>;
    const principal: Principal = await authorize(services, options.adminToken, spec, request.headers, params);
    const body = parseOrThrow(spec.body, spec.operationId === "renewApiKey" ? (request.body ?? {}) : request.body, "body");
    const query = parseOrThrow(spec.query, request.query, "query");
    const handler = HANDLERS[spec.operationId];
    const send = (status: number, payload: unknown) => (payload === undefined ? reply.code(204).send() : reply.code(status).send(payload));

    if (spec.method === "GET") {
      return send(spec.status, await handler({ ...services, principal, params, body, query }));
    }
    const idemHeader = request.headers["idempotency-key"];
    const claim = spec.idempotent && typeof idemHeader === "string" ? idempotencyClaim(principalName(principal), spec.method, request.url, idemHeader, body) : undefined;
    if (claim) {
      const earlier = await storedAnswer(services.db, services.keyring, claim, services.now());
      if (earlier) return send(earlier.status, earlier.body);
    }
    try {
      // Each write and its audit record (and idempotency record) commit together or not at all.
      const result = await services.db
        .transaction()
        .execute(async (trx) => {
          const out = await handler({ ...services, db: trx, principal, params, body, query });
          if (claim) await storeAnswer(trx, services.keyring, claim, services.now(), spec.status, out);
          return out;
        })
        .finally(() => lookups.forgetAll());
      return send(spec.status, result);
    } catch (e) {
      // A concurrent request with the same Idempotency-Key won the race (its insert made ours
      // fail, on the idempotency record or on a name): answer what it answered.
      if (claim && (isUniqueViolation(e) || e instanceof ApiError)) {
        const earlier = await storedAnswer(services.db, services.keyring, claim, services.now());
        if (earlier) return send(earlier.status, earlier.body);
      }
      throw e;
    }
  };

  for (const spec of ROUTES as readonly RouteSpec[]) {
    if (spec.operationId === "healthz") {
      app.get(spec.url, async () => ({ status: "ok" }));
    } else if (spec.operationId === "readyz") {
      app.get(spec.url, async (_req, reply) => {
        try {
          await sql`select 1`.execute(services.db);
          return { status: "ready" };
        } catch {
          return reply.code(503).send(new ApiError("not_ready", "the database is not reachable").body());
        }
      });
    } else if (spec.auth === "gateway") {
      app.route({
        method: spec.method,
        url: spec.url,
        handler: async (request, reply) => {
          try {
            const body = parseOrThrow(spec.body, request.body, "body");
            const result = await handleGateway(services, lookups, request.headers, body);
            metrics.recordGateway("ok");
            return reply.code(result.status).send(result.body);
          } catch (e) {
            if (e instanceof ApiError) metrics.recordGateway(e.code);
            throw e;
          }
        },
      });
    } else {
      app.route({ method: spec.method, url: spec.url, handler: (request, reply) => runManagement(spec, request, reply) });
    }
  }

  const sweeper = setInterval(() => void forgetExpiredAnswers(services.db, services.now()).catch(() => undefined), 10 * 60 * 1000);
  sweeper.unref();
  app.addHook("onClose", async () => clearInterval(sweeper));
  return app;
}
