import { bearerToken } from "../http/bearer";
import type { Services } from "../http/context";
import { andThen, type MaybePromise } from "../http/maybe-promise";
import { isWellFormedApiKey } from "../keys/format";
import type { UseSpender } from "../keys/use-spender";
import { keyRefusal, type Refusal } from "../keys/verify";
import type { KeyLimits } from "../limits/key-limits";
import { type GatewayLookup, lookupCall } from "../store/gateway-lookup";
import type { GatewayLookupCache } from "./lookup-cache";

export interface AdmittedKey {
  id: string;
  projectId: string;
  scope: "inference" | "project";
  deploymentAccess: "bound" | "all";
}

export interface AdmittedDeployment {
  id: string;
  name: string;
  model: string;
  upstreamUrl: string | null;
  /** The Secret named as upstreamSecret, with its sealed current value (null when it is gone); opened only when the call goes upstream. */
  upstreamSecret: {
    id: string;
    sealed: { useCase: string; version: number; ciphertext: string } | null;
    allowedUpstreams: string[];
  } | null;
}

/** A refusal, with the key it concerns once that is known (for the access log), and when to retry. */
export interface GateRefusal extends Refusal {
  key?: AdmittedKey;
  retryAfterSeconds?: number;
}

export type KeyDecision = { ok: true; key: AdmittedKey } | GateRefusal;
export type GateDecision = { ok: true; key: AdmittedKey; deployment: AdmittedDeployment } | GateRefusal;

const refuse = (code: Refusal["code"], message: string, key?: AdmittedKey): GateRefusal => ({
  ok: false,
  code,
  message,
  key,
});

/**
 * The key a gateway call presents: `Authorization: Bearer` or `x-api-key`. When both are sent,
 * a well-formed keyplane key wins: the Gcore seed sends a placeholder Bearer ("notused")
 * next to the real key in x-api-key.
 */
export function gatewayCredential(headers: Record<string, string | string[] | undefined>): string | undefined {
  const bearer = bearerToken(headers);
  const header = headers["x-api-key"];
  const xKey = typeof header === "string" && header.trim() !== "" ? header.trim() : undefined;
  if (bearer !== undefined && xKey !== undefined && !isWellFormedApiKey(bearer) && isWellFormedApiKey(xKey))
    return xKey;
  return bearer ?? xKey;
}

/** The key's row, or why it is refused (lifetime, enabled, the client's address); at once on a cache hit. */
function lookup(
  services: Services,
  cache: GatewayLookupCache<GatewayLookup>,
  limits: KeyLimits,
  headers: Record<string, string | string[] | undefined>,
  model: string,
  client: string,
): MaybePromise<GatewayLookup | GateRefusal> {
  const credential = gatewayCredential(headers);
  if (credential === undefined)
    return refuse("missing_key", "send an API key as Authorization: Bearer <key> or x-api-key");
  // Remembered rows skip the database and the keyed hash; malformed keys are refused before any lookup.
  const row = cache.lookup(credential, model, async () =>
    isWellFormedApiKey(credential)
      ? (await lookupCall(services.db, { model, keyHash: services.keyring.hashApiKey(credential) })).rows[0]
      : undefined,
  );
  return andThen(row, (found) => {
    const refused = keyRefusal(found, services.now());
    if (refused) return { ...refused, key: found && admittedKey(found) };
    const address = limits.checkAddress(found!, client);
    if (!address.ok) return { ...address, key: admittedKey(found!) };
    return found!;
  });
}

const admittedKey = (row: GatewayLookup): AdmittedKey => ({
  id: row.id,
  projectId: row.project_id,
  scope: row.scope,
  deploymentAccess: row.deployment_access,
});

/** Whether the presented key may use the gateway at all (GET /v1/models): no use is spent. */
export function gateKey(
  services: Services,
  cache: GatewayLookupCache<GatewayLookup>,
  limits: KeyLimits,
  headers: Record<string, string | string[] | undefined>,
  client: string,
): MaybePromise<KeyDecision> {
  // Deployment names are slugs, never empty: "" looks up the key alone.
  return andThen(lookup(services, cache, limits, headers, "", client), (row) =>
    "ok" in row ? row : { ok: true, key: admittedKey(row) },
  );
}

/**
 * Gate an inference call: key, client address, deployment, binding, status, rate limit, then
 * spend one use atomically. The rate limit comes last but for numUses, so calls refused for
 * other reasons spend none of it, and rate-limited calls spend no use. A cached key with no
 * numUses and no shared rate limit is decided at once, without a promise.
 */
export function gate(
  services: Services & { spender: UseSpender },
  cache: GatewayLookupCache<GatewayLookup>,
  limits: KeyLimits,
  headers: Record<string, string | string[] | undefined>,
  model: string,
  client: string,
): MaybePromise<GateDecision> {
  return andThen(lookup(services, cache, limits, headers, model, client), (row) => {
    if ("ok" in row) return row;
    const key = admittedKey(row);
    if (!row.dep_id) return refuse("model_not_found", `no deployment named ${model} in this key's project`, key);
    if (row.deployment_access === "bound" && row.scope !== "project" && !Number(row.bound)) {
      return refuse("deployment_not_bound", `this key is not bound to deployment ${row.dep_name}`, key);
    }
    if (row.dep_status !== "running")
      return refuse("deployment_not_running", `deployment ${row.dep_name} is stopped`, key);
    return andThen(limits.checkRate(row, services.now()), (rate): MaybePromise<GateDecision> => {
      if (!rate.ok)
        return {
          ...refuse("rate_limited", "this key has made all the calls its rate limit allows for now", key),
          retryAfterSeconds: rate.retryAfterSeconds,
        };
      if (row.num_uses > 0) {
        return services.spender
          .spend(row.id, services.now())
          .then((spent) =>
            spent ? admitted(row, key) : refuse("exhausted_key", "this key has used all of its numUses", key),
          );
      }
      return admitted(row, key);
    });
  });
}

const admitted = (row: GatewayLookup, key: AdmittedKey): GateDecision => ({
  ok: true,
  key,
  deployment: {
    id: row.dep_id!,
    name: row.dep_name!,
    model: row.dep_model!,
    upstreamUrl: row.dep_upstream_url,
    upstreamSecret: row.dep_upstream_secret
      ? {
          id: row.dep_upstream_secret,
          sealed: row.secret_ciphertext
            ? { useCase: row.secret_use_case!, version: Number(row.secret_version), ciphertext: row.secret_ciphertext }
            : null,
          allowedUpstreams: row.secret_allowed_upstreams ? JSON.parse(row.secret_allowed_upstreams) : [],
        }
      : null,
  },
});
