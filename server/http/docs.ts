import swagger, { type StaticDocumentSpec } from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { openApiDocument } from "./openapi";

/** /openapi.json (generated from the route table) and the Swagger UI at /docs. */
export async function docsPlugin(app: FastifyInstance, { version }: { version: string }) {
  const document = openApiDocument(version);
  await app.register(swagger, {
    mode: "static",
    specification: { document: document as StaticDocumentSpec["document"] },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => document);
}
