import { ROUTES, schemas } from "@keyplane/api";
import type { FastifyInstance } from "fastify";
import { whoIsCalling } from "../auth/authorize";
import { type Callers, callerAddress } from "../auth/callers";
import { ApiError } from "../http/errors";
import { parseOrThrow } from "../http/parse-input";
import type { AppParts } from "../http/parts";
import { applyLeakReport, type Reporter } from "./report";
import { checkSignature, KEY_ID_HEADER, SIGNATURE_HEADER, type VerifyingKeys } from "./verifying-keys";

/**
 * POST /v1/leaks: secret-scanning reports (GitHub's partner format), signed by a configured
 * scanner key or sent with a management credential. The signature covers the raw bytes, so
 * this plugin keeps them: its own body parser hands the handler a Buffer.
 */
export async function leaksPlugin(
  app: FastifyInstance,
  {
    services,
    metrics,
    lookups,
    writeTransaction,
    callers,
    verifyingKeys,
  }: AppParts & { callers: Callers; verifyingKeys: VerifyingKeys },
) {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  const spec = ROUTES.find((r) => r.operationId === "reportLeaks")!;
  app.route({
    method: spec.method,
    url: spec.url,
    handler: async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let reporter: Reporter;
      if (request.headers[KEY_ID_HEADER] !== undefined || request.headers[SIGNATURE_HEADER] !== undefined) {
        const signed = checkSignature(verifyingKeys, request.headers, raw);
        if (!signed.ok) throw new ApiError("invalid_signature", signed.message);
        reporter = { kind: "scanner", name: signed.reporter };
      } else {
        const principal = await whoIsCalling(
          services,
          callers,
          { method: "POST" },
          { headers: request.headers, client: callerAddress(callers, request) },
        ).catch((e) => {
          if (e instanceof ApiError && e.code === "missing_key") {
            throw new ApiError(
              "missing_key",
              `sign the report (${KEY_ID_HEADER} and ${SIGNATURE_HEADER}) or send the admin token or a project-scope key`,
            );
          }
          throw e;
        });
        reporter = { kind: "principal", principal };
      }
      // Parsed only once the caller is known: an unverified caller learns nothing of its body's fate.
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        throw new ApiError("invalid_json", "the body is not valid JSON");
      }
      const report = parseOrThrow(schemas.LeakReport, json, "body");
      // Acknowledged only once durable: a scanner told "true_positive" must never see the key work again.
      const { answer, leaked } = await writeTransaction((trx) =>
        applyLeakReport(services, trx, reporter, report),
      ).finally(() => lookups.forgetAll());
      for (const k of leaked) metrics.recordLeak(k.projectId);
      if (leaked.length) request.log.warn({ keys: leaked.map((k) => k.keyId) }, "keys reported leaked");
      return reply.code(spec.status).send(answer);
    },
  });
}
