import { ROUTES, type RouteSpec } from "@keyplane/api";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorize } from "../auth/authorize";
import { type Callers, callerAddress } from "../auth/callers";
import type { EgressPolicy } from "../gateway/egress";
import { type Handlers, type Principal, principalName } from "../http/context";
import { ApiError } from "../http/errors";
import { forgetExpiredAnswers, idempotencyClaim, storeAnswer, storedAnswer } from "../http/idempotency";
import { parseOrThrow } from "../http/parse-input";
import type { AppParts } from "../http/parts";
import { isUniqueViolation } from "../store/database";

/** A handler as dispatch sees it: the route table's schemas have parsed what it is given. */
type AnyHandler = (ctx: object) => Promise<unknown>;

/** The management API (admin token or project key): every admin or management route of the table, each with its handler. */
export async function managementPlugin(
  app: FastifyInstance,
  {
    services,
    lookups,
    writeTransaction,
    callers,
    handlers,
    egress,
  }: AppParts & { callers: Callers; handlers: Handlers; egress: EgressPolicy },
) {
  const run = async (spec: RouteSpec, request: FastifyRequest, reply: FastifyReply) => {
    const params = request.params as Record<string, string>;
    const principal: Principal = await authorize(
      services,
      callers,
      spec,
      { headers: request.headers, client: callerAddress(callers, request) },
      params,
    );
    const body = parseOrThrow(
      spec.body,
      spec.operationId === "renewApiKey" ? (request.body ?? {}) : request.body,
      "body",
    );
    const query = parseOrThrow(spec.query, request.query, "query");
    // Where a deployment's upstreamUrl points is judged (with a DNS lookup) before any transaction
    // opens; only a body its schema has checked holds a URL.
    const upstreamUrl = (body as { upstreamUrl?: unknown } | undefined)?.upstreamUrl;
    if (spec.body && typeof upstreamUrl === "string") {
      const verdict = await egress.judgeUrl(new URL(upstreamUrl));
      if (!verdict.ok)
        throw new ApiError("invalid_request", `upstreamUrl is refused: ${verdict.reason}`, [
          { path: "upstreamUrl", message: verdict.reason },
        ]);
    }
    const handler = (handlers as Record<string, AnyHandler>)[spec.operationId];
    // A replayed answer says so (as Stripe's Idempotent-Replayed), so a client can tell it from a new object.
    const send = (status: number, payload: unknown, replayed = false) => {
      if (replayed) reply.header("idempotent-replayed", "true");
      return payload === undefined ? reply.code(204).send() : reply.code(status).send(payload);
    };

    if (spec.method === "GET") {
      return send(spec.status, await handler({ ...services, principal, params, body, query }));
    }
    const idemHeader = request.headers["idempotency-key"];
    const claim =
      spec.idempotent && typeof idemHeader === "string"
        ? idempotencyClaim(principalName(principal), spec.method, request.url, idemHeader, body)
        : undefined;
    if (claim) {
      const earlier = await storedAnswer(services.db, services.keyring, claim, services.now());
      if (earlier) return send(earlier.status, earlier.body, true);
    }
    try {
      // Each write and its audit record (and idempotency record) commit together or not at all.
      const result = await writeTransaction(async (trx) => {
        const out = await handler({ ...services, db: trx, principal, params, body, query });
        if (claim) await storeAnswer(trx, services.keyring, claim, services.now(), spec.status, out);
        return out;
      }).finally(() => lookups.forgetAll());
      return send(spec.status, result);
    } catch (e) {
      // A concurrent request with the same Idempotency-Key won the race (its insert made ours
      // fail, on the idempotency record or on a name): answer what it answered.
      if (claim && (isUniqueViolation(e) || e instanceof ApiError)) {
        const earlier = await storedAnswer(services.db, services.keyring, claim, services.now());
        if (earlier) return send(earlier.status, earlier.body, true);
      }
      throw e;
    }
  };

  for (const spec of ROUTES as readonly RouteSpec[]) {
    if (spec.auth !== "admin" && spec.auth !== "management") continue;
    app.route({ method: spec.method, url: spec.url, handler: (request, reply) => run(spec, request, reply) });
  }

  const sweeper = setInterval(
    () => void forgetExpiredAnswers(services.db, services.now()).catch(() => undefined),
    10 * 60 * 1000,
  );
  sweeper.unref();
  app.addHook("onClose", async () => clearInterval(sweeper));
}
