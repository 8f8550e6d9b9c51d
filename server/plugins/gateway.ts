import type { FastifyInstance } from "fastify";
import { ROUTES, type RouteSpec } from "@keyplane/api";
import { ApiError } from "../api-error";
import { handleGateway } from "../gateway";
import { parseOrThrow } from "../parse-input";
import type { AppParts } from "./context";

/** The OpenAI-compatible surface, gated by API keys. */
export async function gatewayPlugin(app: FastifyInstance, { services, metrics, lookups }: AppParts) {
  for (const spec of ROUTES as readonly RouteSpec[]) {
    if (spec.auth !== "gateway") continue;
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
  }
}
