import { type ApiKey, formatDuration, parseDuration, type RateLimit } from "@keyplane/api";
import { auditObject } from "../audit/record";
import { type Handlers, iso, isoOrNull, principalName } from "../http/context";
import { ApiError, found } from "../http/errors";
import { findProject } from "../projects/handlers";
import {
  type ApiKeyChanges,
  findLiveApiKey,
  insertApiKey,
  listLiveApiKeys,
  markRevoked,
  updateApiKey,
} from "../store/api-keys";
import { countBindingsOfKeys, deleteBindingsOfKey } from "../store/bindings";
import type { Db } from "../store/database";
import { endReplaysOf } from "../store/idempotency";
import { newId } from "../store/ids";
import type { ApiKeyRow } from "../store/schema";
import { generateApiKey } from "./format";
import { changedLifetime, graceExpiry, initialLifetime, keyStatus, renewedExpiry } from "./lifetime";

const rateLimitColumns = (r: RateLimit | null) => ({
  rate_limit: r?.limit ?? null,
  rate_window_seconds: r === null ? null : parseDuration(r.window)!,
});

export function toApiKey(r: ApiKeyRow, now: number, deploymentCount: number): ApiKey {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    labels: JSON.parse(r.labels),
    scope: r.scope,
    deploymentAccess: r.deployment_access,
    truncated: `kp_••••••••${r.last4}`,
    status: keyStatus(r, now),
    createdAt: iso(r.created_at),
    createdBy: r.created_by,
    expiresAt: isoOrNull(r.expires_at),
    maxExpiresAt: isoOrNull(r.max_expires_at),
    ttl: r.ttl_seconds === null ? null : formatDuration(r.ttl_seconds),
    explicitMaxTtl: r.explicit_max_ttl_seconds === null ? null : formatDuration(r.explicit_max_ttl_seconds),
    renewable: r.renewable === 1,
    numUses: r.num_uses,
    usesRemaining: r.num_uses === 0 ? null : Math.max(0, r.num_uses - r.uses),
    lastUsedAt: isoOrNull(r.last_used_at),
    enabled: r.enabled === 1,
    rateLimit:
      r.rate_limit === null || r.rate_window_seconds === null
        ? null
        : { limit: r.rate_limit, window: formatDuration(r.rate_window_seconds) },
    allowedCidrs: JSON.parse(r.allowed_cidrs),
    managedBy: r.managed_by,
    updatedAt: iso(r.updated_at),
    deploymentCount,
    leakedAt: isoOrNull(r.leaked_at),
    leakSource: r.leak_source,
    leakUrl: r.leak_url,
  };
}

const withCount = async (db: Db, row: ApiKeyRow, now: number) =>
  toApiKey(row, now, (await countBindingsOfKeys(db, [row.id])).get(row.id) ?? 0);

/** Marks a key changed (its bindings changed); part of the caller's transaction. */
export async function touchKey(db: Db, keyId: string, at: number): Promise<void> {
  await updateApiKey(db, keyId, { updated_at: at });
}

/** A live (not revoked) key of the project, or 404. */
export async function findLiveKey(db: Db, projectId: string, id: string): Promise<ApiKeyRow> {
  return found(await findLiveApiKey(db, projectId, id), `api key ${id}`);
}

export const apiKeyHandlers = {
  async createApiKey(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    const now = ctx.now();
    const secret = generateApiKey();
    const b = ctx.body;
    const row: ApiKeyRow = {
      id: newId("key"),
      project_id: ctx.params.projectId,
      name: b.name,
      description: b.description ?? "",
      labels: JSON.stringify(b.labels ?? {}),
      scope: b.scope ?? "inference",
      deployment_access: b.deploymentAccess ?? "bound",
      key_hash: ctx.keyring.hashApiKey(secret),
      last4: secret.slice(-4),
      created_at: now,
      created_by: principalName(ctx.principal),
      ...initialLifetime(now, b),
      renewable: b.renewable ? 1 : 0,
      num_uses: b.numUses ?? 0,
      uses: 0,
      last_used_at: null,
      revoked_at: null,
      enabled: b.enabled === false ? 0 : 1,
      ...rateLimitColumns(b.rateLimit ?? null),
      allowed_cidrs: JSON.stringify(b.allowedCidrs ?? []),
      grace_revoked_at: null,
      managed_by: b.managedBy ?? null,
      updated_at: now,
      leaked_at: null,
      leak_source: null,
      leak_url: null,
    };
    await insertApiKey(ctx.db, row);
    await auditObject(ctx, now, { kind: "api_key", id: row.id, projectId: row.project_id }, "create", {
      name: row.name,
      scope: row.scope,
      deploymentAccess: row.deployment_access,
    });
    return { ...toApiKey(row, now, 0), secret };
  },

  async listApiKeys(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    const now = ctx.now();
    await ctx.usage.flush(); // lastUsedAt as of this call
    const rows = await listLiveApiKeys(ctx.db, ctx.params.projectId, ctx.query.managedBy);
    const counts = await countBindingsOfKeys(
      ctx.db,
      rows.map((r) => r.id),
    );
    return { items: rows.map((r) => toApiKey(r, now, counts.get(r.id) ?? 0)) };
  },

  async getApiKey(ctx) {
    await ctx.usage.flush();
    return withCount(ctx.db, await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id), ctx.now());
  },

  async updateApiKey(ctx) {
    const row = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const now = ctx.now();
    const b = ctx.body;
    if (row.grace_revoked_at !== null && (b.ttl !== undefined || b.expiresAt !== undefined)) {
      throw new ApiError(
        "conflict",
        "this key is being revoked with a grace period; its lifetime can no longer change",
      );
    }
    // Expiry is terminal, as revocation is: a leaked key that has lapsed must not be revivable by whoever holds a project key.
    if ((b.ttl !== undefined || b.expiresAt !== undefined) && keyStatus(row, now) === "expired") {
      const path = b.ttl !== undefined ? "ttl" : "expiresAt";
      throw new ApiError("conflict", "this key has expired, and an expired key stays expired; create a new key", [
        { path, message: "the key has already expired" },
      ]);
    }
    const changes: ApiKeyChanges = {
      name: b.name ?? row.name,
      description: b.description ?? row.description,
      labels: b.labels === undefined ? row.labels : JSON.stringify(b.labels),
      scope: b.scope ?? row.scope,
      ...(b.managedBy === undefined ? {} : { managed_by: b.managedBy }),
      ...changedLifetime(row, now, b),
      ...(b.enabled === undefined ? {} : { enabled: b.enabled ? 1 : 0 }),
      ...(b.rateLimit === undefined ? {} : rateLimitColumns(b.rateLimit)),
      ...(b.allowedCidrs === undefined ? {} : { allowed_cidrs: JSON.stringify(b.allowedCidrs) }),
      updated_at: now,
    };
    await updateApiKey(ctx.db, row.id, changes);
    // A scope change widens or narrows what the key's holder may do: the trail names both ends.
    const scopeChange = changes.scope !== row.scope ? { scope: { from: row.scope, to: changes.scope } } : {};
    await auditObject(ctx, now, { kind: "api_key", id: row.id, projectId: row.project_id }, "update", {
      fields: Object.keys(b),
      ...(b.enabled === undefined ? {} : { enabled: b.enabled }),
      ...scopeChange,
    });
    return withCount(ctx.db, { ...row, ...changes } as ApiKeyRow, now);
  },

  async renewApiKey(ctx) {
    const row = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const now = ctx.now();
    const { expiresAt, warnings } = renewedExpiry(row, now, ctx.body.increment);
    await updateApiKey(ctx.db, row.id, { expires_at: expiresAt, updated_at: now });
    await auditObject(ctx, now, { kind: "api_key", id: row.id, projectId: row.project_id }, "renew", {
      expiresAt: iso(expiresAt),
    });
    return { ...(await withCount(ctx.db, { ...row, expires_at: expiresAt, updated_at: now }, now)), warnings };
  },

  async revokeApiKey(ctx) {
    const row = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const now = ctx.now();
    const gracePeriod = ctx.query.gracePeriod;
    // A leaked key gets no grace: it is refused already, and a grace would keep it listed as live.
    const expiresAt = row.leaked_at === null ? graceExpiry(row, now, gracePeriod) : undefined;
    if (expiresAt !== undefined) {
      // Revoked with grace: the key works (bindings and all) until expiresAt, then is expired_key.
      await updateApiKey(ctx.db, row.id, { expires_at: expiresAt, grace_revoked_at: row.grace_revoked_at ?? now });
      await endReplaysOf(ctx.db, row.id);
      await auditObject(ctx, now, { kind: "api_key", id: row.id, projectId: row.project_id }, "revoke", {
        name: row.name,
        gracePeriod,
        expiresAt: iso(expiresAt),
      });
      return undefined;
    }
    await markRevoked(ctx.db, row.id, now);
    await deleteBindingsOfKey(ctx.db, row.id);
    await endReplaysOf(ctx.db, row.id);
    await auditObject(ctx, now, { kind: "api_key", id: row.id, projectId: row.project_id }, "revoke", {
      name: row.name,
    });
    return undefined;
  },
} satisfies Partial<Handlers>;
