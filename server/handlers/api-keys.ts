import { formatDuration, type ApiKey } from "@keyplane/api";
import type { ApiKeyRow } from "../store/schema";
import { notFound } from "../api-error";
import { recordAudit } from "../audit";
import { iso, isoOrNull, principalName, type RequestContext } from "../context";
import { generateApiKey } from "../crypto/api-key-format";
import { newId } from "../ids";
import { findProject } from "./projects";
import { changedLifetime, initialLifetime, keyStatus, renewedExpiry } from "./key-lifetime";

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
    updatedAt: iso(r.updated_at),
    deploymentCount,
  };
}

/** Bindings per key, for the keys given (one query for a whole list). */
async function deploymentCounts(ctx: RequestContext, keyIds: string[]): Promise<Map<string, number>> {
  if (keyIds.length === 0) return new Map();
  const rows = await ctx.db
    .selectFrom("bindings")
    .select(["api_key_id", (eb) => eb.fn.countAll<number | string>().as("n")])
    .where("api_key_id", "in", keyIds)
    .groupBy("api_key_id")
    .execute();
  return new Map(rows.map((r) => [r.api_key_id, Number(r.n)]));
}

const withCount = async (ctx: RequestContext, row: ApiKeyRow, now: number) => toApiKey(row, now, (await deploymentCounts(ctx, [row.id])).get(row.id) ?? 0);

/** Marks a key changed (its bindings changed); part of the caller's transaction. */
export async function touchKey(ctx: RequestContext, keyId: string, at: number): Promise<void> {
  await ctx.db.updateTable("api_keys").set({ updated_at: at }).where("id", "=", keyId).execute();
}

/** A live (not revoked) key of the path's project. */
export async function findLiveKey(ctx: RequestContext, id: string): Promise<ApiKeyRow> {
  const row = await ctx.db
    .selectFrom("api_keys")
    .selectAll()
    .where("id", "=", id)
    .where("project_id", "=", ctx.params.projectId)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  if (!row) throw notFound(`api key ${id}`);
  return row;
}

export const apiKeyHandlers = {
  async createApiKey(ctx: RequestContext) {
    await findProject(ctx, ctx.params.projectId);
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
      updated_at: now,
    };
    await ctx.db.insertInto("api_keys").values(row).execute();
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.project_id,
      action: "api_key.create",
      targetType: "api_key",
      targetId: row.id,
      details: { name: row.name, scope: row.scope, deploymentAccess: row.deployment_access },
    });
    return { ...toApiKey(row, now, 0), secret };
  },

  async listApiKeys(ctx: RequestContext) {
    await findProject(ctx, ctx.params.projectId);
    const now = ctx.now();
    const rows = await ctx.db
      .selectFrom("api_keys")
      .selectAll()
      .where("project_id", "=", ctx.params.projectId)
      .where("revoked_at", "is", null)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    const counts = await deploymentCounts(
      ctx,
      rows.map((r) => r.id),
    );
    return { items: rows.map((r) => toApiKey(r, now, counts.get(r.id) ?? 0)) };
  },

  async getApiKey(ctx: RequestContext) {
    return withCount(ctx, await findLiveKey(ctx, ctx.params.id), ctx.now());
  },

  async updateApiKey(ctx: RequestContext) {
    const row = await findLiveKey(ctx, ctx.params.id);
    const now = ctx.now();
    const b = ctx.body;
    const next: ApiKeyRow = {
      ...row,
      name: b.name ?? row.name,
      description: b.description ?? row.description,
      labels: b.labels === undefined ? row.labels : JSON.stringify(b.labels),
      scope: b.scope ?? row.scope,
      ...changedLifetime(row, now, b),
      updated_at: now,
    };
    await ctx.db
      .updateTable("api_keys")
      .set({
        name: next.name,
        description: next.description,
        labels: next.labels,
        scope: next.scope,
        expires_at: next.expires_at,
        ttl_seconds: next.ttl_seconds,
        updated_at: now,
      })
      .where("id", "=", row.id)
      .execute();
    // A scope change widens or narrows what the key's holder may do: the trail names both ends.
    const scopeChange = next.scope !== row.scope ? { scope: { from: row.scope, to: next.scope } } : {};
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.project_id,
      action: "api_key.update",
      targetType: "api_key",
      targetId: row.id,
      details: { fields: Object.keys(b), ...scopeChange },
    });
    return withCount(ctx, next, now);
  },

  async renewApiKey(ctx: RequestContext) {
    const row = await findLiveKey(ctx, ctx.params.id);
    const now = ctx.now();
    const { expiresAt, warnings } = renewedExpiry(row, now, ctx.body?.increment);
    await ctx.db.updateTable("api_keys").set({ expires_at: expiresAt, updated_at: now }).where("id", "=", row.id).execute();
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.project_id,
      action: "api_key.renew",
      targetType: "api_key",
      targetId: row.id,
      details: { expiresAt: iso(expiresAt) },
    });
    return { ...(await withCount(ctx, { ...row, expires_at: expiresAt, updated_at: now }, now)), warnings };
  },

  async revokeApiKey(ctx: RequestContext) {
    const row = await findLiveKey(ctx, ctx.params.id);
    const now = ctx.now();
    // The row stays (hash only) so the gateway can answer revoked_key rather than invalid_key.
    await ctx.db.updateTable("api_keys").set({ revoked_at: now }).where("id", "=", row.id).execute();
    await ctx.db.deleteFrom("bindings").where("api_key_id", "=", row.id).execute();
    await recordAudit(ctx.db, ctx.principal, now, { projectId: row.project_id, action: "api_key.revoke", targetType: "api_key", targetId: row.id, details: { name: row.name } });
    return undefined;
  },
};
