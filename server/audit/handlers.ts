import { type Handlers, iso } from "../http/context";
import { found } from "../http/errors";
import { listAuditRows } from "../store/audit";
import { findProjectRow } from "../store/projects";

export const auditHandlers = {
  async listAudit(ctx) {
    found(await findProjectRow(ctx.db, ctx.params.projectId), `project ${ctx.params.projectId}`);
    const rows = await listAuditRows(ctx.db, ctx.params.projectId, {
      before: ctx.query.before,
      limit: ctx.query.limit ?? 100,
    });
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
} satisfies Partial<Handlers>;
