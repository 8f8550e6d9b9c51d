import { iso, type RequestContext } from "../http/context";
import { findProject } from "../projects/handlers";

export const auditHandlers = {
  async listAudit(ctx: RequestContext) {
    await findProject(ctx, ctx.params.projectId);
    let q = ctx.db.selectFrom("audit").selectAll().where("project_id", "=", ctx.params.projectId);
    if (ctx.query.before) q = q.where("id", "<", ctx.query.before);
    const rows = await q
      .orderBy("id", "desc")
      .limit(ctx.query.limit ?? 100)
      .execute();
    return {
      items: rows.map((r) => ({
        id: Number(r.id),
        projectId: r.project_id,
        at: iso(r.at),
        principal: r.principal,
        action: r.action,
        targetType: r.target_type,
        targetId: r.target_id,
        details: JSON.parse(r.details),
      })),
    };
  },
};
