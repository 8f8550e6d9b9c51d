import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { ROUTES, statusOfCode, type ErrorCode, type FieldIssue, type RouteSpec } from "@keyplane/api";
import { errorBody } from "../api-error";
import { type AdmittedDeployment, type AdmittedKey, gate, gateKey } from "../gateway/gate";
import { callableModels } from "../gateway/models";
import { echo, type EchoRoute } from "../gateway/reference-model";
import { callUpstream, upstreamTarget, upstreamToken } from "../gateway/upstream";
import { parseInput } from "../parse-input";
import type { AppParts } from "./context";

export interface GatewayOptions {
  /** Idle timeout of upstream calls: no byte from the upstream for that long fails the call (502). */
  upstreamTimeoutMs: number;
}

/** Each inference route: what the reference model answers, and where upstream it goes. */
const INFERENCE: Record<string, { echo: EchoRoute; upstreamPath: string }> = {
  chatCompletions: { echo: "chat", upstreamPath: "chat/completions" },
  inference: { echo: "chat", upstreamPath: "chat/completions" },
  completions: { echo: "completion", upstreamPath: "completions" },
  embeddings: { echo: "embedding", upstreamPath: "embeddings" },
};

/** One gateway call's end: what is recorded (outcome) and what is sent. */
interface Answer {
  /** "client_gone": the caller left before the upstream answered (not the upstream's failure). */
  outcome: "ok" | "client_gone" | ErrorCode;
  key?: AdmittedKey;
  deployment?: AdmittedDeployment;
  status: number;
  headers?: Record<string, string | string[]>;
  body: unknown;
}

const refused = (code: ErrorCode, message: string, details?: FieldIssue[]): Answer => ({ outcome: code, status: statusOfCode(code), body: errorBody(code, message, details) });

/** What goes upstream: the caller's body with the deployment's model (AMD's plain `input` as one user message). */
function upstreamPayload(operationId: string, body: any, model: string): string {
  if (operationId === "inference" && body.messages === undefined && typeof body.input === "string") {
    const { input, ...rest } = body;
    return JSON.stringify({ ...rest, model, messages: [{ role: "user", content: input }] });
  }
  return JSON.stringify({ ...body, model });
}

/** The OpenAI-compatible surface: every call goes through one gate, and every answer through one recorder. */
export async function gatewayPlugin(app: FastifyInstance, { services, metrics, lookups, upstreamTimeoutMs }: AppParts & GatewayOptions) {
  // The one place every gateway outcome is recorded (admitted or refused, upstream failures too).
  const record = (answer: Answer) => metrics.recordGateway(answer.outcome);

  async function infer(spec: RouteSpec, route: (typeof INFERENCE)[string], request: FastifyRequest, raw: ServerResponse): Promise<Answer> {
    const input = parseInput(spec.body, request.body, "body");
    if (!input.ok) return refused(input.error.code, input.error.message, input.error.details);
    const body = input.data;
    const decision = await gate(services, lookups, request.headers, body.model);
    if (!decision.ok) return refused(decision.code, decision.message);
    const { key, deployment } = decision;
    if (!deployment.upstreamUrl) {
      const answer = echo(route.echo, deployment.name, body, services.now());
      const headers = answer.stream ? { "content-type": "text/event-stream", "cache-control": "no-cache" } : undefined;
      return { outcome: "ok", key, deployment, status: 200, headers, body: answer.body };
    }
    const token = deployment.upstreamSecret ? upstreamToken(services.keyring, deployment.upstreamSecret) : undefined;
    if (deployment.upstreamSecret && !token) {
      request.log.warn({ deployment: deployment.name, secret: deployment.upstreamSecret.id }, "the deployment's upstreamSecret is gone or holds no token");
      return { ...refused("upstream_failed", "the deployment's upstream credential is not usable"), key, deployment };
    }
    // A caller that goes away takes its upstream call with it.
    const abort = new AbortController();
    raw.once("close", () => {
      if (!raw.writableFinished) abort.abort();
    });
    const result = await callUpstream(upstreamTarget(deployment.upstreamUrl, route.upstreamPath), upstreamPayload(spec.operationId, body, deployment.model), {
      accept: request.headers.accept,
      token,
      timeoutMs: upstreamTimeoutMs,
      signal: abort.signal,
    });
    if (!result.ok && abort.signal.aborted) return { ...refused("upstream_failed", "the caller went away"), outcome: "client_gone", key, deployment };
    if (!result.ok) {
      request.log.warn({ deployment: deployment.name, reason: result.reason }, "upstream call failed");
      return { ...refused("upstream_failed", "the deployment's upstream did not answer"), key, deployment };
    }
    // Status, headers and body as the upstream sent them; the body streams (SSE chunk by chunk).
    return { outcome: "ok", key, deployment, status: result.response.statusCode ?? 502, headers: result.headers, body: result.response };
  }

  async function listModels(request: FastifyRequest): Promise<Answer> {
    const decision = await gateKey(services, lookups, request.headers);
    if (!decision.ok) return refused(decision.code, decision.message);
    return { outcome: "ok", key: decision.key, status: 200, body: await callableModels(services.db, decision.key) };
  }

  for (const spec of ROUTES as readonly RouteSpec[]) {
    if (spec.auth !== "gateway") continue;
    const route = INFERENCE[spec.operationId];
    app.route({
      method: spec.method,
      url: spec.url,
      handler: async (request, reply) => {
        const answer = route ? await infer(spec, route, request, reply.raw) : await listModels(request);
        record(answer);
        if (answer.headers) reply.headers(answer.headers);
        return reply.code(answer.status).send(answer.body);
      },
    });
  }
}
