import type * as pulumi from "@pulumi/pulumi";
import { formatDuration, parseDuration, schemas, type ApiKey, type ApiKeyCreated } from "@keyplane/api";
import { changedFields, checkInputs, compact } from "../check";
import { clientFor } from "../connect";
import { ApiKeyInputs } from "../inputs";

const path = (project: string, id = "") => `/v1/projects/${project}/api-keys${id ? `/${id}` : ""}`;

const REPLACE_ON = ["project", "scope", "deploymentAccess", "numUses", "explicitMaxTtl", "renewable", "rotationTrigger"] as const;
const UPDATE_ON = ["name", "description", "labels", "ttl", "requestedExpiresAt", "enabled", "rateLimit", "allowedCidrs"] as const;
/** What an absent input means on the server, so removing one from the program resets it. */
const UNSET: Record<string, unknown> = { labels: {}, enabled: true, rateLimit: null, allowedCidrs: [] };

/** State keeps the program's inputs (for diffs) beside what the server says. */
function outputs(inputs: any, key: ApiKey, secret: string) {
  const { expiresAt: requestedExpiresAt, ...rest } = inputs;
  return compact({
    ...rest,
    requestedExpiresAt,
    keyId: key.id,
    secret,
    truncated: key.truncated,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    maxExpiresAt: key.maxExpiresAt,
    status: key.status,
  });
}

/**
 * The grace a delete asks for: rotationGracePeriod, but never past the key's own expiry (the
 * server refuses that, and a failed delete would fail the whole `up`): a key about to expire
 * keeps what it has left, less a few seconds for clocks that disagree. None: revoke at once.
 */
export function gracePeriodFor(props: { rotationGracePeriod?: string; expiresAt?: string | null }, now = Date.now()): string | undefined {
  const grace = parseDuration(props.rotationGracePeriod ?? "0") ?? 0;
  const left = props.expiresAt ? Math.floor((Date.parse(props.expiresAt) - now) / 1000) - 5 : Number.POSITIVE_INFINITY;
  const seconds = Math.min(grace, left);
  return seconds > 0 ? formatDuration(seconds) : undefined;
}

type RenewalNeed = "none" | "renew" | "replace";

/** Inside renewBefore of its expiry, a key is renewed; when renewal can go no further, replaced. */
export function renewalNeed(state: { renewBefore?: string; renewable?: boolean; expiresAt?: string | null; maxExpiresAt?: string | null }, now = Date.now()): RenewalNeed {
  if (!state.renewBefore || !state.renewable || !state.expiresAt) return "none";
  const window = (parseDuration(state.renewBefore) ?? 0) * 1000;
  const expiresAt = Date.parse(state.expiresAt);
  if (expiresAt - now > window) return "none";
  if (state.maxExpiresAt && Date.parse(state.maxExpiresAt) <= expiresAt) return "replace";
  return "renew";
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return checkInputs(ApiKeyInputs, news);
  },

  async diff(_id, olds, news) {
    const next = { ...news, requestedExpiresAt: news.expiresAt };
    const replaces: string[] = changedFields(olds, next, REPLACE_ON);
    const changed = changedFields(olds, next, [...UPDATE_ON, "renewBefore", "rotationGracePeriod"]).map((f) => (f === "requestedExpiresAt" ? "expiresAt" : f));
    const need = renewalNeed({ ...olds, renewBefore: news.renewBefore, renewable: news.renewable });
    if (need === "renew") changed.push("expiresAt");
    if (need === "replace") replaces.push("expiresAt");
    const changes = [...new Set([...replaces, ...changed])];
    return {
      changes: changes.length > 0,
      replaces,
      detailedDiff: undefined,
      deleteBeforeReplace: false,
      stables: ["keyId", "secret", "truncated", "createdAt", "project", "scope", "deploymentAccess"],
    };
  },

  async create(inputs) {
    const body = {
      name: inputs.name,
      description: inputs.description,
      labels: inputs.labels,
      scope: inputs.scope,
      deploymentAccess: inputs.deploymentAccess,
      ttl: inputs.ttl,
      expiresAt: inputs.expiresAt,
      renewable: inputs.renewable,
      explicitMaxTtl: inputs.explicitMaxTtl,
      numUses: inputs.numUses,
      enabled: inputs.enabled,
      rateLimit: inputs.rateLimit,
      allowedCidrs: inputs.allowedCidrs,
    };
    const key = await clientFor(inputs).create<ApiKeyCreated>(path(inputs.project), body, schemas.ApiKeyCreated);
    return { id: key.id, outs: outputs(inputs, key, key.secret) };
  },

  async read(id, props) {
    const key = await clientFor(props).find<ApiKey>({ method: "GET", path: path(props.project, id), response: schemas.ApiKey });
    if (!key) return {};
    // The secret is never served again: it survives from state.
    const outs = compact({
      ...outputs({ ...props, expiresAt: props.requestedExpiresAt }, key, props.secret),
      name: key.name,
      description: key.description || undefined,
      labels: Object.keys(key.labels).length ? key.labels : props.labels,
      // Switched off or re-scoped out of band: refresh shows it, the next up puts it back.
      enabled: key.enabled && props.enabled === undefined ? undefined : key.enabled,
      allowedCidrs: key.allowedCidrs.length || props.allowedCidrs !== undefined ? key.allowedCidrs : undefined,
    });
    return { id, props: outs };
  },

  async update(id, olds, news) {
    const client = clientFor(news);
    const next = { ...news, requestedExpiresAt: news.expiresAt };
    const patch: Record<string, unknown> = {};
    for (const f of changedFields(olds, next, UPDATE_ON)) {
      if (f === "requestedExpiresAt") {
        if (news.expiresAt !== undefined) patch.expiresAt = news.expiresAt;
      } else if (f === "ttl") {
        patch.ttl = news.ttl ?? "0";
      } else {
        patch[f] = news[f] ?? (f in UNSET ? UNSET[f] : "");
      }
    }
    let key: ApiKey | undefined;
    if (Object.keys(patch).length) key = await client.call<ApiKey>({ method: "PATCH", path: path(news.project, id), body: patch, response: schemas.ApiKey });
    if (renewalNeed({ ...olds, ...(key ?? {}), renewBefore: news.renewBefore, renewable: news.renewable }) === "renew") {
      key = await client.call<ApiKey>({ method: "POST", path: `${path(news.project, id)}/renew`, body: {}, response: schemas.ApiKeyRenewed });
    }
    key ??= await client.call<ApiKey>({ method: "GET", path: path(news.project, id), response: schemas.ApiKey });
    return { outs: outputs(news, key, olds.secret) };
  },

  async delete(id, props) {
    // Destroy revokes: at once, or after rotationGracePeriod. Pulumi's delete does not say
    // whether it replaces or destroys, so both keep the old key working for the grace.
    const grace = gracePeriodFor(props);
    await clientFor(props).find({ method: "DELETE", path: `${path(props.project, id)}${grace ? `?gracePeriod=${grace}` : ""}` });
  },
};
