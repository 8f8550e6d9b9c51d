import { randomUUID } from "node:crypto";
import { ApiError } from "./api-error";
import type { Services } from "./context";
import { isWellFormedApiKey } from "./crypto/api-key-format";
import type { Kysely } from "kysely";
import type { Database } from "./store/schema";
import { reusableQuery } from "./store/reusable-query";
import type { GatewayLookupCache } from "./gateway-lookup-cache";
import { presentedCredential, refuseUnlessActive } from "./verify-key";
import type { KeyLimits } from "./limits/key-limits";
import type { GatewayCall } from "./usage/recorder";

export interface GatewayResult {
  status: number;
  body: unknown;
}

function lastUserText(body: any): string {
  const messages: any[] = Array.isArray(body.messages) ? body.messages : [];
  const last = [...messages].reverse().find((m) => m?.role === "user") ?? messages[messages.length - 1];
  if (typeof last?.content === "string") return last.content;
  if (typeof body.input === "string") return body.input;
  return "";
}

/** The reference model: an OpenAI-shaped echo, so the gate can be tested without a model. */
function echoCompletion(model: string, body: any, now: number) {
  const text = lastUserText(body).slice(0, 4000);
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: "chat.completion" as const,
    created: Math.floor(now / 1000),
    model,
    choices: [{ index: 0, message: { role: "assistant" as const, content: `echo: ${text}` }, finish_reason: "stop" }],
    usage: { prompt_tokens: text.length, completion_tokens: text.length + 6, total_tokens: 2 * text.length + 6 },
  };
}

async function callUpstream(url: string, body: unknown): Promise<GatewayResult> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* a non-JSON answer is passed on as a string */
    }
    return { status: res.status, body: parsed };
  } catch {
    throw new ApiError("upstream_failed", "the deployment's upstream did not answer");
  }
}

const lookupCall = reusableQuery(
  (db: Kysely<Database>, p: { model: string; keyHash: string }) =>
    db
      .selectFrom("api_keys as k")
      .leftJoin("deployments as d", (join) => join.onRef("d.project_id", "=", "k.project_id").on("d.name", "=", p.model))
      .select((eb) => [
        "k.id",
        "k.project_id",
        "k.enabled",
        "k.rate_limit",
        "k.rate_window_seconds",
        "k.allowed_cidrs",
        "k.scope",
        "k.deployment_access",
        "k.expires_at",
        "k.num_uses",
        "k.uses",
        "k.revoked_at",
        "d.id as dep_id",
        "d.name as dep_name",
        "d.status as dep_status",
        "d.upstream_url as dep_upstream_url",
        eb.exists(eb.selectFrom("bindings as b").select("b.api_key_id").whereRef("b.api_key_id", "=", "k.id").whereRef("b.deployment_id", "=", "d.id")).as("bound"),
      ])
      .where("k.key_hash", "=", p.keyHash),
  ["model", "keyHash"],
);

export type GatewayLookup = Awaited<ReturnType<typeof lookupCall>>["rows"][number];

/**
 * Gate an inference call: key, client address, deployment, binding, status, rate limit, then
 * spend one use atomically. What it learns (key, project, deployment) goes into `call`, so
 * the access log knows them for refusals too.
 */
export async function handleGateway(
  services: Services,
  cache: GatewayLookupCache<GatewayLookup>,
  limits: KeyLimits,
  headers: Record<string, string | string[] | undefined>,
  body: any,
  call: GatewayCall,
): Promise<GatewayResult> {
  const credential = presentedCredential(headers, true);
  if (!credential) throw new ApiError("missing_key", "send an API key as Authorization: Bearer <key> or x-api-key");
  const keyHash = services.keyring.hashApiKey(credential);
  const model = String(body.model);
  // One round trip on the hot path, or none when remembered: the key, the deployment it
  // names and whether they are bound. Malformed keys are refused before any lookup.
  const row = await cache.lookup(keyHash, model, async () => {
    if (!isWellFormedApiKey(credential)) throw new ApiError("invalid_key", "the key is not a valid keyplane key");
    return (await lookupCall(services.db, { model, keyHash })).rows[0];
  });
  if (row) {
    call.apiKeyId = row.id;
    call.projectId = row.project_id;
    call.deploymentId = row.dep_id;
  }
  const key = refuseUnlessActive(row, services.now());
  if (!limits.checkAddress(key, call.client).ok) throw new ApiError("ip_not_allowed", "this key may not be used from this address");
  if (!key.dep_id) throw new ApiError("model_not_found", `no deployment named ${body.model} in this key's project`);
  const deployment = { name: key.dep_name!, status: key.dep_status!, upstream_url: key.dep_upstream_url };
  if (key.deployment_access === "bound" && key.scope !== "project" && !Number(key.bound)) {
    throw new ApiError("deployment_not_bound", `this key is not bound to deployment ${deployment.name}`);
  }
  if (deployment.status !== "running") throw new ApiError("deployment_not_running", `deployment ${deployment.name} is stopped`);
  const now = services.now();
  const rate = await limits.checkRate(key, now);
  if (!rate.ok) throw new ApiError("rate_limited", "this key has made all the calls its rate limit allows for now", undefined, rate.retryAfterSeconds);
  if (key.num_uses > 0) {
    if (!(await services.spender.spend(key.id, now))) throw new ApiError("exhausted_key", "this key has used all of its numUses");
  }
  if (deployment.upstream_url) return callUpstream(deployment.upstream_url, body);
  return { status: 200, body: echoCompletion(deployment.name, body, now) };
}
