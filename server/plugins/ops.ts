import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { ApiError } from "../api-error";
import type { AppParts } from "./context";

/** Liveness, readiness and Prometheus metrics: public, no credential. */
export async function opsPlugin(app: FastifyInstance, { services, metrics }: AppParts) {
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    try {
      await sql`select 1`.execute(services.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send(new ApiError("not_ready", "the database is not reachable").body());
    }
  });
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => reply.type(metrics.contentType).send(await metrics.render()));
}
