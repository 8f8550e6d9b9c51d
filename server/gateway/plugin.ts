import type { ServerResponse } from "node:http";
import type { BlockList } from "node:net";
import { pipeline, type Readable, Transform } from "node:stream";
import { type ErrorCode, type FieldIssue, ROUTES, type RouteSpec, statusOfCode } from "@keyplane/api";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { callerAddress } from "../auth/callers";
import { errorBody } from "../http/errors";
import { andThen, type MaybePromise } from "../http/maybe-promise";
import { parseInput } from "../http/parse-input";
import type { AppParts } from "../http/parts";
import type { UseSpender } from "../keys/use-spender";
import type { KeyLimits } from "../limits/key-limits";
import { originAllowed } from "../secrets/pinning";
import type { GatewayLookup } from "../store/gateway-lookup";
import type { GatewayCall, UsageRecorder } from "../usage/recorder";
import { TokenTap, tokensOfAnswer } from "../usage/tokens";
import type { EgressPolicy } from "./egress";
import { type AdmittedDeployment, type AdmittedKey, type GateRefusal, gate, gateKey } from "./gate";
import type { GatewayLookupCache } from "./lookup-cache";
import { callableModels } from "./models";
import { type EchoRoute, echo, type RequestBody } from "./reference-model";
import { callUpstream, HOP_HEADER, upstreamTarget, upstreamToken } from "./upstream";

export interface GatewayOptions {
  /** Idle timeout of upstream calls: no byte from the upstream for that long fails the call (502). */
  upstreamTimeoutMs: number;
  /** Per-key address and rate checks. */
  limits: KeyLimits;
  /** Proxies whose X-Forwarded-For is believed. */
  trustedProxies?: BlockList;
  /** Where upstream calls may go. */
  egress: EgressPolicy;
  /** Counts every call and writes the access log. */
  usage: UsageRecorder;
  /** Spends numUses keys' uses. */
  spender: UseSpender;
  /** Lookups remembered between calls. */
  lookups: GatewayLookupCache<GatewayLookup>;
  /** This server's hop mark (the same on every replica): sent on upstream calls, refused inbound. */
  hopMark: string;
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

const refused = (code: ErrorCode, message: string, details?: FieldIssue[]): Answer => ({
  outcome: code,
  status: statusOfCode(code),
  body: errorBody(code, message, details),
});

/** A gate's refusal as an answer: the key it concerns (for the access log) and Retry-After when it has one. */
const refusedByGate = (r: GateRefusal): Answer => ({
  ...refused(r.code, r.message),
  key: r.key,
  ...(r.retryAfterSeconds === undefined ? {} : { headers: { "retry-after": String(r.retryAfterSeconds) } }),
});

const isStream = (body: unknown): body is Readable => typeof (body as Readable | null)?.pipe === "function";

/** What goes upstream: the caller's body with the deployment's model (AMD's plain `input` as one user message). */
function upstreamPayload(operationId: string, body: RequestBody, model: string): string {
  if (operationId === "inference" && body.messages === undefined && typeof body.input === "string") {
    const { input, ...rest } = body;
    return JSON.stringify({ ...rest, model, messages: [{ role: "user", content: input }] });
  }
  return JSON.stringify({ ...body, model });
}

/** The OpenAI-compatible surface: every call goes through one gate, and every answer through one recorder. */
export async function gatewayPlugin(
  app: FastifyInstance,
  {
    services,
    metrics,
    lookups,
    upstreamTimeoutMs,
    limits,
    trustedProxies,
    egress,
    usage,
    spender,
    hopMark,
  }: AppParts & GatewayOptions,
) {
  // What the gate reads, made once: the hot path allocates nothing for it.
  const gating = { ...services, spender };
  /**
   * The one place every gateway outcome is recorded (admitted or refused, upstream failures
   * too): metrics, the access log, and for admitted calls usage with the tokens the answer
   * reports. A streamed answer is recorded when it ends; the body to send is returned.
   */
  const record = (answer: Answer, call: Pick<GatewayCall, "at" | "client" | "deployment">): unknown => {
    metrics.recordGateway(answer.outcome);
    const body = answer.body;
    // One object of one shape per call, built once (no spreads): tokens are set on it when known.
    const entry: GatewayCall = {
      at: call.at,
      client: call.client,
      deployment: call.deployment,
      projectId: answer.key?.projectId ?? null,
      apiKeyId: answer.key?.id ?? null,
      deploymentId: answer.deployment?.id ?? null,
      outcome: answer.outcome,
      status: answer.status,
      tokens: undefined,
    };
    // Admitted: the gate let it through (its upstream may still have failed); only these count as usage.
    if (answer.deployment === undefined) {
      usage.record(entry);
      return body;
    }
    if (!isStream(body)) {
      entry.tokens = tokensOfAnswer(body);
      usage.record(entry);
      return body;
    }
    const contentType = answer.headers?.["content-type"];
    const tap = new TokenTap(Array.isArray(contentType) ? contentType[0] : contentType);
    const observed = new Transform({
      transform(chunk, _encoding, done) {
        tap.push(chunk);
        done(null, chunk);
      },
    });
    // Ended, failed or abandoned by the caller: recorded once, with what it reported so far.
    pipeline(body, observed, () => {
      entry.tokens = tap.end();
      usage.record(entry);
    });
    return observed;
  };

  /** An inference call's answer: at once for a cached key answered by the reference model. */
  function infer(
    spec: RouteSpec,
    route: (typeof INFERENCE)[string],
    request: FastifyRequest,
    raw: ServerResponse,
    client: string,
  ): MaybePromise<Answer> {
    const input = parseInput(spec.body, request.body, "body");
    if (!input.ok) return refused(input.error.code, input.error.message, input.error.details);
    // Every inference route's schema (api/schemas.ts) is an object that requires a string `model`.
    const body = input.data as RequestBody & { model: string };
    return andThen(gate(gating, lookups, limits, request.headers, body.model, client), (decision) => {
      if (!decision.ok) return refusedByGate(decision);
      const { key, deployment } = decision;
      if (deployment.upstreamUrl)
        return forward(spec, route, request, raw, body, key, deployment, deployment.upstreamUrl);
      const answer = echo(route.echo, deployment.name, body, services.now());
      const headers = answer.stream ? { "content-type": "text/event-stream", "cache-control": "no-cache" } : undefined;
      return { outcome: "ok", key, deployment, status: 200, headers, body: answer.body };
    });
  }

  /** An admitted call to a deployment with an upstreamUrl: sent there with its credential, the answer passed back. */
  async function forward(
    spec: RouteSpec,
    route: (typeof INFERENCE)[string],
    request: FastifyRequest,
    raw: ServerResponse,
    body: RequestBody,
    key: AdmittedKey,
    deployment: AdmittedDeployment,
    upstreamUrl: string,
  ): Promise<Answer> {
    // Defense in depth: management refuses such a deployment, but a secret never goes where it may not.
    if (deployment.upstreamSecret && !originAllowed(deployment.upstreamSecret.allowedUpstreams, upstreamUrl)) {
      request.log.warn(
        { deployment: deployment.name, secret: deployment.upstreamSecret.id },
        "the deployment's upstreamUrl is not among its upstreamSecret's allowedUpstreams",
      );
      return {
        ...refused("upstream_failed", "the deployment's upstream credential may not be sent to its upstreamUrl"),
        key,
        deployment,
      };
    }
    const token = deployment.upstreamSecret ? upstreamToken(services.keyring, deployment.upstreamSecret) : undefined;
    if (deployment.upstreamSecret && !token) {
      request.log.warn(
        { deployment: deployment.name, secret: deployment.upstreamSecret.id },
        "the deployment's upstreamSecret is gone or holds no token",
      );
      return { ...refused("upstream_failed", "the deployment's upstream credential is not usable"), key, deployment };
    }
    // A caller that goes away takes its upstream call with it.
    const abort = new AbortController();
    raw.once("close", () => {
      if (!raw.writableFinished) abort.abort();
    });
    const result = await callUpstream(
      upstreamTarget(upstreamUrl, route.upstreamPath),
      upstreamPayload(spec.operationId, body, deployment.model),
      {
        accept: request.headers.accept,
        token,
        timeoutMs: upstreamTimeoutMs,
        signal: abort.signal,
        egress,
        hop: hopMark,
      },
    );
    if (!result.ok && abort.signal.aborted)
      return { ...refused("upstream_failed", "the caller went away"), outcome: "client_gone", key, deployment };
    if (!result.ok && result.refused) {
      request.log.warn({ deployment: deployment.name, reason: result.reason }, "upstream refused by the egress policy");
      return {
        ...refused("upstream_failed", "the deployment's upstream address is refused by this server's egress policy"),
        key,
        deployment,
      };
    }
    if (!result.ok) {
      request.log.warn({ deployment: deployment.name, reason: result.reason }, "upstream call failed");
      return { ...refused("upstream_failed", "the deployment's upstream did not answer"), key, deployment };
    }
    // Status, headers and body as the upstream sent them; the body streams (SSE chunk by chunk).
    return {
      outcome: "ok",
      key,
      deployment,
      status: result.response.statusCode ?? 502,
      headers: result.headers,
      body: result.response,
    };
  }

  function listModels(request: FastifyRequest, client: string): MaybePromise<Answer> {
    return andThen(gateKey(services, lookups, limits, request.headers, client), async (decision): Promise<Answer> => {
      if (!decision.ok) return refusedByGate(decision);
      return { outcome: "ok", key: decision.key, status: 200, body: await callableModels(services.db, decision.key) };
    });
  }

  for (const spec of ROUTES as readonly RouteSpec[]) {
    if (spec.auth !== "gateway") continue;
    const route = INFERENCE[spec.operationId];
    app.route({
      method: spec.method,
      url: spec.url,
      // Not async: an answer made at once (a cached key, the reference model) is sent without a promise.
      handler: (request, reply) => {
        const model = (request.body as { model?: unknown } | undefined)?.model;
        const call = {
          at: services.now(),
          client: callerAddress({ trustedProxies }, request),
          deployment: typeof model === "string" ? model.slice(0, 256) : null,
        };
        const hops = request.headers[HOP_HEADER];
        const looped =
          hops !== undefined &&
          String(hops)
            .split(",")
            .some((h) => h.trim() === hopMark);
        const answer = looped
          ? refused(
              "loop_detected",
              "this call came from this server's own gateway: the deployment's upstreamUrl leads back here",
            )
          : route
            ? infer(spec, route, request, reply.raw, call.client)
            : listModels(request, call.client);
        const send = (a: Answer) => {
          const body = record(a, call);
          if (a.headers) reply.headers(a.headers);
          return reply.code(a.status).send(body);
        };
        // A promise of the reply (a thenable) settles when the answer is sent, streams included.
        if (answer instanceof Promise) return answer.then(send);
        send(answer);
      },
    });
  }
}
