import type { Binding } from "@keyplane/api";
import type { BindingRow } from "../store/schema";
import { recordAudit } from "../audit";
import { iso, type RequestContext } from "../context";
import { findLiveKey, touchKey } from "./api-keys";
import { findDeployment } from "./deployments";

const toBinding = (r: BindingRow): Binding => ({
  apiKeyId: r.api_key_id,
  deploymentId: r.deployment_id,
  projectId: r.project_id,
  createdAt: iso(r.created_at),
});

export const bindingHandlers = {
  async listKeyDeployments(ctx: RequestContext) {
    const key = await findLiveKey(ctx, ctx.params.id);
    const rows = await ctx.db.selectFrom("bindings").selectAll().where("api_key_id", "=", key.id).orderBy("created_at").orderBy("deployment_id").execute();
    return { items: rows.map(toBinding) };
  },

  async bindDeployment(ctx: RequestContext) {
    // Both lookups are scoped to the path's project, so a cross-project binding is a 404.
    const key = await findLiveKey(ctx, ctx.params.id);
    const deployment = await findDeployment(ctx, ctx.params.deploymentId);
    const now = ctx.now();
    const inserted = await ctx.db
      .insertInto("bindings")
      .values({ api_key_id: key.id, deployment_id: deployment.id, project_id: key.project_id, created_at: now })
      .onConflict((oc) => oc.columns(["api_key_id", "deployment_id"]).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
      await touchKey(ctx, key.id, now);
      await recordAudit(ctx.db, ctx.principal, now, {
        projectId: key.project_id,
        action: "binding.create",
        targetType: "api_key",
        targetId: key.id,
        details: { deploymentId: deployment.id },
      });
    }
    const row = await ctx.db.selectFrom("bindings").selectAll().where("api_key_id", "=", key.id).where("deployment_id", "=", deployment.id).executeTakeFirstOrThrow();
    return toBinding(row);
  },

  async unbindDeployment(ctx: RequestContext) {
    const key = await findLiveKey(ctx, ctx.params.id);
    const deleted = await ctx.db.deleteFrom("bindings").where("api_key_id", "=", key.id).where("deployment_id", "=", ctx.params.deploymentId).executeTakeFirst();
    if (Number(deleted.numDeletedRows) > 0) {
      await touchKey(ctx, key.id, ctx.now());
      await recordAudit(ctx.db, ctx.principal, ctx.now(), {
        projectId: key.project_id,
        action: "binding.delete",
        targetType: "api_key",
        targetId: key.id,
        details: { deploymentId: ctx.params.deploymentId },
      });
    }
    return undefined;
  },
};
