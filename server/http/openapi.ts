import { ERROR_CODES, ROUTES, type RouteSpec, schemas } from "@keyplane/api";
import { z } from "zod";

const toSchema = (schema: z.ZodType, io: "input" | "output") => z.toJSONSchema(schema, { io, unrepresentable: "any" });

/** The OpenAPI document, generated from the same route table and zod schemas the server enforces. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES as readonly RouteSpec[]) {
    const path = r.url.replace(/:([A-Za-z]+)/g, "{$1}");
    const params = [...r.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = r.query
      ? Object.keys((r.query as z.ZodObject).shape).map((name) => ({
          name,
          in: "query",
          required: false,
          schema: { type: "string" },
        }))
      : [];
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      parameters: [
        ...params,
        ...query,
        ...(r.idempotent
          ? [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 255 } }]
          : []),
      ],
      security:
        r.auth === "public"
          ? []
          : [
              { bearer: [] },
              ...(r.auth === "gateway" ? [{ apiKeyHeader: [] }] : []),
              ...(r.auth === "leak-report" ? [{ scannerSignature: [] }] : []),
            ],
      responses: {
        [String(r.status)]:
          "response" in r && r.response
            ? { description: "OK", content: { "application/json": { schema: toSchema(r.response, "output") } } }
            : { description: "Done" },
        default: {
          description: "Error",
          content: { "application/json": { schema: toSchema(schemas.ErrorBody, "output") } },
        },
      },
    };
    if ("body" in r && r.body)
      op.requestBody = { required: true, content: { "application/json": { schema: toSchema(r.body, "input") } } };
    paths[path] = { ...(paths[path] ?? {}), [r.method.toLowerCase()]: op };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "keyplane reference auth server",
      version,
      description: `Error codes by status: ${Object.entries(ERROR_CODES)
        .map(([s, c]) => `${s}: ${c.join(", ")}`)
        .join("; ")}.`,
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        apiKeyHeader: { type: "apiKey", in: "header", name: "x-api-key" },
        // With GITHUB-PUBLIC-KEY-IDENTIFIER naming the verifying key (see the README's "Leaks").
        scannerSignature: { type: "apiKey", in: "header", name: "GITHUB-PUBLIC-KEY-SIGNATURE" },
      },
    },
    paths,
  };
}
