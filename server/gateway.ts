import { randomUUID } from "node:crypto";
import { ApiError } from "./api-error";
import type { Services } from "./context";
import { presentedCredential, verifyApiKey } from "./verify-key";

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

/** Gate an inference call: key, deployment, binding, status, then spend one use atomically. */
export async function handleGateway(services: Services, headers: Record<string, string | string[] | undefined>, body: any): Promise<GatewayResult> {
  const credential = presentedCredential(headers, true);
  if (!credential) throw new ApiError("missing_key", "send an API key as Authorization: Bearer <key> or x-api-key");
  const key = await verifyApiKey(services, credential);
  const deployment = await services.db
    .selectFrom("deployments")
    .select(["id", "name", "status", "upstream_url"])
    .where("project_id", "=", key.project_id)
    .where("name", "=", body.model)
    .executeTakeFirst();
  if (!deployment) throw new ApiError("model_not_found", `no deployment named ${body.model} in this key's project`);
  if (key.deployment_access === "bound" && key.scope !== "project") {
    const bound = await services.db
      .selectFrom("bindings")
      .select("api_key_id")
      .where("api_key_id", "=", key.id)
      .where("deployment_id", "=", deployment.id)
      .executeTakeFirst();
    if (!bound) throw new ApiError("deployment_not_bound", `this key is not bound to deployment ${deployment.name}`);
  }
  if (deployment.status !== "running") throw new ApiError("deployment_not_running", `deployment ${deployment.name} is stopped`);
  const now = services.now();
  if (key.num_uses > 0) {
    // One conditional UPDATE: exact under concurrency on one process or many on one database.
    const spent = await services.db
      .updateTable("api_keys")
      .set((eb) => ({ uses: eb("uses", "+", 1), last_used_at: now }))
      .where("id", "=", key.id)
      .where("revoked_at", "is", null)
      .whereRef("uses", "<", "num_uses")
      .executeTakeFirst();
    if (Number(spent.numUpdatedRows) === 0) throw new ApiError("exhausted_key", "this key has used all of its numUses");
  }
  if (deployment.upstream_url) return callUpstream(deployment.upstream_url, body);
  return { status: 200, body: echoCompletion(deployment.name, body, now) };
}
