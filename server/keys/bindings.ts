import type { Binding } from "@keyplane/api";
import { recordAudit } from "../audit/record";
import { findDeployment } from "../deployments/handlers";
import { type Handlers, iso } from "../http/context";
import { deleteBinding, findBinding, insertBinding, listBindingsOfKey } from "../store/bindings";
import type { BindingRow } from "../store/schema";
import { findLiveKey, touchKey } from "./handlers";

const toBinding = (r: BindingRow): Binding => ({
  apiKeyId: r.api_key_id,
  deploymentId: r.deployment_id,
  projectId: r.project_id,
  createdAt: iso(r.created_at),
});

export const bindingHandlers = {
  async listKeyDeployments(ctx) {
    const key = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const rows = await listBindingsOfKey(ctx.db, key.id);
    return { items: rows.map(toBinding) };
  },

  async bindDeployment(ctx) {
    // Both lookups are scoped to the path's project, so a cross-project binding is a 404.
    const key = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    const deployment = await findDeployment(ctx.db, ctx.params.projectId, ctx.params.deploymentId);
    const now = ctx.now();
    if (
      await insertBinding(ctx.db, {
        api_key_id: key.id,
        deployment_id: deployment.id,
        project_id: key.project_id,
        created_at: now,
      })
    ) {
      await touchKey(ctx.db, key.id, now);
      await recordAudit(ctx.db, ctx.principal, now, {
        projectId: key.project_id,
        action: "binding.create",
        targetType: "api_key",
        targetId: key.id,
        details: { deploymentId: deployment.id },
      });
    }
    return toBinding(await findBinding(ctx.db, key.id, deployment.id));
  },

  async unbindDeployment(ctx) {
    const key = await findLiveKey(ctx.db, ctx.params.projectId, ctx.params.id);
    if (await deleteBinding(ctx.db, key.id, ctx.params.deploymentId)) {
      await touchKey(ctx.db, key.id, ctx.now());
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
} satisfies Partial<Handlers>;
