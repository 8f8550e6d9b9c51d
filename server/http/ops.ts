import type { FastifyInstance } from "fastify";
import { constantTimeEqual } from "../crypto/keyring";
import { ping } from "../store/database";
import { bearerToken } from "./bearer";
import { ApiError } from "./errors";
import type { AppParts } from "./parts";

/**
 * Liveness and readiness: public. Prometheus metrics: public unless a metrics token is set;
 * then they need it (or the admin token) as a bearer, since they list every project's id.
 */
export async function opsPlugin(
  app: FastifyInstance,
  { services, metrics, metricsToken, adminToken }: AppParts & { metricsToken?: string; adminToken: string },
) {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await ping(services.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send(new ApiError("not_ready", "the database is not reachable").body());
    }
  });
  app.get("/metrics", { schema: { hide: true } }, async (request, reply) => {
    if (metricsToken !== undefined) {
      const presented = bearerToken(request.headers);
      if (presented === undefined)
        throw new ApiError("missing_key", "send the metrics token as Authorization: Bearer <token>");
      if (!constantTimeEqual(presented, metricsToken) && !constantTimeEqual(presented, adminToken))
        throw new ApiError("invalid_key", "this is not the metrics token");
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });
}
