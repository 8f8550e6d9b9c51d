import { type ApiKey, type ApiKeyCreated, formatDuration, parseDuration, schemas } from "@keyplane/api";
import type { z } from "zod";
import { compact } from "../check";
import type { KeyplaneClient } from "../client";
import { ApiKeyInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

type Inputs = z.input<typeof ApiKeyInputs>;

const path = (project: string, id?: string) => `/v1/projects/${project}/api-keys${id ? `/${id}` : ""}`;

/** What the server assumes for unset inputs: an adopted key must match them, or the program must say otherwise. */
const DEFAULTS: Partial<Inputs> = { scope: "inference", deploymentAccess: "bound", numUses: 0, renewable: false };
const REPLACE_ON = [
  "project",
  "scope",
  "deploymentAccess",
  "numUses",
  "explicitMaxTtl",
  "renewable",
  "rotationTrigger",
  "adoptKeyId",
] as const;
// expiresAt is compared with the expiry the program asked for (requestedExpiresAt), not the current one.
const UPDATE_ON = [
  "name",
  "description",
  "labels",
  "ttl",
  "renewBefore",
  "enabled",
  "rateLimit",
  "allowedCidrs",
  "rotationGracePeriod",
  "managedBy",
] as const;
/** What an absent input means on the server, so removing one from the program resets it. */
const UNSET: Partial<Record<keyof Inputs, unknown>> = {
  labels: {},
  enabled: true,
  rateLimit: null,
  allowedCidrs: [],
  managedBy: null,
};
/** Inputs only the provider uses: a change to them is a change of state, not of the key. */
const LOCAL: ReadonlySet<keyof Inputs> = new Set(["renewBefore", "rotationGracePeriod"]);

/** State keeps the program's inputs (for diffs) beside what the server says; the secret only from the create. */
function outputs(inputs: Inputs, key: ApiKey, secret: string) {
  const { expiresAt: requestedExpiresAt, ...rest } = inputs;
  return compact({
    ...rest,
    // Name, description and labels as the server has them, so a change made elsewhere shows as drift.
    name: key.name,
    description: key.description || undefined,
    labels: Object.keys(key.labels).length ? key.labels : rest.labels,
    // Switched off or re-scoped out of band: refresh shows it, the next up puts it back.
    enabled: key.enabled && rest.enabled === undefined ? undefined : key.enabled,
    allowedCidrs: key.allowedCidrs.length || rest.allowedCidrs !== undefined ? key.allowedCidrs : undefined,
    requestedExpiresAt,
    keyId: key.id,
    secret,
    truncated: key.truncated,
    createdAt: key.createdAt,
    expiresAt: key.expiresAt,
    maxExpiresAt: key.maxExpiresAt,
    status: key.status,
    // Reported leaked (seen by refresh): the next up replaces the key.
    leaked: key.leakedAt !== null,
    leakedAt: key.leakedAt,
  });
}

/**
 * The grace a delete asks for: rotationGracePeriod, but never past the key's own expiry (the
 * server refuses that, and a failed delete would fail the whole `up`): a key about to expire
 * keeps what it has left, less a few seconds for clocks that disagree. None: revoke at once.
 */
export function gracePeriodFor(
  props: { rotationGracePeriod?: string; expiresAt?: string | null },
  now = Date.now(),
): string | undefined {
  const grace = parseDuration(props.rotationGracePeriod ?? "0") ?? 0;
  const left = props.expiresAt ? Math.floor((Date.parse(props.expiresAt) - now) / 1000) - 5 : Number.POSITIVE_INFINITY;
  const seconds = Math.min(grace, left);
  return seconds > 0 ? formatDuration(seconds) : undefined;
}

type RenewalNeed = "none" | "renew" | "replace";

/** Inside renewBefore of its expiry, a key is renewed; when renewal can go no further, replaced. */
export function renewalNeed(
  state: { renewBefore?: string; renewable?: boolean; expiresAt?: string | null; maxExpiresAt?: string | null },
  now = Date.now(),
): RenewalNeed {
  if (!state.renewBefore || !state.renewable || !state.expiresAt) return "none";
  const window = (parseDuration(state.renewBefore) ?? 0) * 1000;
  const expiresAt = Date.parse(state.expiresAt);
  if (expiresAt - now > window) return "none";
  if (state.maxExpiresAt && Date.parse(state.maxExpiresAt) <= expiresAt) return "replace";
  return "renew";
}

/** A key whose lifetime has run out, or that renewal can no longer extend, never stands for a new one. */
const spent = (key: ApiKey, inputs: Inputs) =>
  key.status !== "active" ||
  renewalNeed({ ...inputs, expiresAt: key.expiresAt, maxExpiresAt: key.maxExpiresAt }) === "replace";

/** Takes over a key made elsewhere: same secret (not known here), this stack's metadata, then managed as any other. */
async function adopt(client: KeyplaneClient, inputs: Inputs, id: string) {
  const key = await client.find<ApiKey>({ method: "GET", path: path(inputs.project, id), response: schemas.ApiKey });
  if (key?.status !== "active")
    throw new Error(`keyplane: adoptKeyId: there is no active key ${id} in project ${inputs.project}`);
  const differs = (["scope", "deploymentAccess", "numUses", "renewable", "explicitMaxTtl"] as const).filter(
    (f) => JSON.stringify(inputs[f] ?? DEFAULTS[f] ?? null) !== JSON.stringify(key[f] ?? null),
  );
  if (differs.length) {
    const say = differs.map((f) => `${f} is ${JSON.stringify(key[f])} on the server`).join(", ");
    throw new Error(
      `keyplane: adoptKeyId: key ${id} cannot be changed in place to match the program: ${say}; set the same values in the program`,
    );
  }
  const patch = compact({
    name: inputs.name,
    description: inputs.description,
    labels: inputs.labels,
    ttl: inputs.ttl,
    expiresAt: inputs.expiresAt,
    managedBy: inputs.managedBy,
  } satisfies z.input<typeof schemas.ApiKeyPatch>);
  const adopted = await client.call<ApiKey>({
    method: "PATCH",
    path: path(inputs.project, id),
    body: patch,
    response: schemas.ApiKey,
  });
  // The secret was shown once, to whoever made the key: it is not in state.
  return { id, outs: outputs(inputs, adopted, "") };
}

export const provider = resourceKind<Inputs, ApiKey, ReturnType<typeof outputs>>({
  inputs: ApiKeyInputs,
  path: (props, id) => path(props.project, id),
  response: schemas.ApiKey,
  createResponse: schemas.ApiKeyCreated,
  replaceOn: REPLACE_ON,
  updateOn: UPDATE_ON,
  defaults: DEFAULTS,
  stables: ["keyId", "secret", "truncated", "createdAt", "project", "scope", "deploymentAccess"],
  diff(olds, news) {
    const changes =
      JSON.stringify(olds.requestedExpiresAt ?? null) !== JSON.stringify(news.expiresAt ?? null) ? ["expiresAt"] : [];
    const need = renewalNeed({ ...olds, renewBefore: news.renewBefore, renewable: news.renewable });
    if (need === "renew") changes.push("expiresAt");
    const replaces = need === "replace" ? ["expiresAt"] : [];
    // A leaked key is never renewed or kept: a new one takes its place (create, then revoke).
    if (olds.leaked === true) replaces.push("leaked");
    if (
      news.adoptKeyId &&
      news.adoptKeyId === olds.adoptKeyId &&
      (need === "replace" ||
        olds.leaked === true ||
        REPLACE_ON.some(
          (f) => JSON.stringify(olds[f] ?? DEFAULTS[f] ?? null) !== JSON.stringify(news[f] ?? DEFAULTS[f] ?? null),
        ))
    ) {
      // A replacement would adopt the same key again, then revoke it.
      throw new Error(
        `keyplane: key ${news.adoptKeyId} was adopted (adoptKeyId) and this change replaces it; remove adoptKeyId so keyplane creates the new key (the adopted one is revoked after)`,
      );
    }
    return { replaces, changes };
  },
  createBody: (inputs): z.input<typeof schemas.ApiKeyCreate> => ({
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
    managedBy: inputs.managedBy,
  }),
  create: (client, inputs, post) => (inputs.adoptKeyId ? adopt(client, inputs, inputs.adoptKeyId) : post()),
  staleReplay: spent,
  // The secret is in the create's answer only; after that it survives from state.
  outputs: (inputs, key, olds) => outputs(inputs, key, olds ? olds.secret : (key as ApiKeyCreated).secret),
  inputsInState: ({
    requestedExpiresAt,
    keyId: _k,
    secret: _s,
    truncated: _t,
    createdAt: _c,
    expiresAt: _e,
    maxExpiresAt: _m,
    status: _st,
    leaked: _l,
    leakedAt: _la,
    ...inputs
  }) => ({
    ...inputs,
    expiresAt: requestedExpiresAt,
  }),
  async update(client, id, olds, news, changed) {
    const patch: Record<string, unknown> = {};
    for (const f of changed) {
      if (f === "ttl") patch.ttl = news.ttl ?? "0";
      else if (!LOCAL.has(f)) patch[f] = news[f] ?? (f in UNSET ? UNSET[f] : "");
    }
    if (
      JSON.stringify(olds.requestedExpiresAt ?? null) !== JSON.stringify(news.expiresAt ?? null) &&
      news.expiresAt !== undefined
    )
      patch.expiresAt = news.expiresAt;
    let key: ApiKey | undefined;
    if (Object.keys(patch).length)
      key = await client.call<ApiKey>({
        method: "PATCH",
        path: path(news.project, id),
        body: patch,
        response: schemas.ApiKey,
      });
    if (
      renewalNeed({ ...olds, ...(key ?? {}), renewBefore: news.renewBefore, renewable: news.renewable }) === "renew"
    ) {
      key = await client.call<ApiKey>({
        method: "POST",
        path: `${path(news.project, id)}/renew`,
        body: {},
        response: schemas.ApiKeyRenewed,
      });
    }
    return key ?? client.call<ApiKey>({ method: "GET", path: path(news.project, id), response: schemas.ApiKey });
  },
  // Destroy revokes: at once, or after rotationGracePeriod. Pulumi's delete does not say
  // whether it replaces or destroys, so both keep the old key working for the grace.
  deletePath: (props, id) => {
    const grace = gracePeriodFor(props);
    return `${path(props.project, id)}${grace ? `?gracePeriod=${grace}` : ""}`;
  },
});
