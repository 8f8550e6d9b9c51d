import type { Project } from "@keyplane/api";
import type { ProjectRow } from "../store/schema";
import { ApiError, notFound } from "../http/errors";
import { recordAudit } from "../audit/record";
import { iso, type RequestContext } from "../http/context";
import { newId } from "../store/ids";
import { projectHasLiveKeys, revokeGraceKeysOfProject } from "../store/api-keys";
import { isUniqueViolation } from "../store/database";
import { endReplaysOf } from "../http/idempotency";

export const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function findProject(ctx: RequestContext, id: string): Promise<ProjectRow> {
  const row = await ctx.db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw notFound(`project ${id}`);
  return row;
}

export const projectHandlers = {
  async createProject(ctx: RequestContext) {
    const now = ctx.now();
    const row: ProjectRow = { id: newId("prj"), name: ctx.body.name, description: ctx.body.description ?? "", created_at: now, updated_at: now };
    try {
      await ctx.db.insertInto("projects").values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new ApiError("name_taken", `a project named ${row.name} already exists`, [{ path: "name", message: "is taken" }]);
      throw e;
    }
    await recordAudit(ctx.db, ctx.principal, now, { projectId: row.id, action: "project.create", targetType: "project", targetId: row.id, details: { name: row.name } });
    return toProject(row);
  },

  async listProjects(ctx: RequestContext) {
    const rows = await ctx.db.selectFrom("projects").selectAll().orderBy("created_at").orderBy("id").execute();
    return { items: rows.map(toProject) };
  },

  async getProject(ctx: RequestContext) {
    return toProject(await findProject(ctx, ctx.params.projectId));
  },

  async updateProject(ctx: RequestContext) {
    const row = await findProject(ctx, ctx.params.projectId);
    const now = ctx.now();
    const next = { ...row, description: ctx.body.description ?? row.description, updated_at: now };
    await ctx.db.updateTable("projects").set({ description: next.description, updated_at: now }).where("id", "=", row.id).execute();
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.id,
      action: "project.update",
      targetType: "project",
      targetId: row.id,
      details: { fields: Object.keys(ctx.body) },
    });
    return toProject(next);
  },

  async deleteProject(ctx: RequestContext) {
    const row = await findProject(ctx, ctx.params.projectId);
    const [deployments, keys, secrets] = await Promise.all([
      ctx.db.selectFrom("deployments").select("id").where("project_id", "=", row.id).limit(1).execute(),
      projectHasLiveKeys(ctx.db, row.id),
      ctx.db.selectFrom("secrets").select("id").where("project_id", "=", row.id).limit(1).execute(),
    ]);
    if (deployments.length + secrets.length > 0 || keys) {
      throw new ApiError("project_not_empty", `project ${row.name} still has deployments, live keys or secrets; delete them first`);
    }
    await revokeGraceKeysOfProject(ctx.db, row.id, ctx.now());
    await ctx.db.deleteFrom("projects").where("id", "=", row.id).execute();
    await endReplaysOf(ctx.db, row.id);
    await recordAudit(ctx.db, ctx.principal, ctx.now(), { projectId: row.id, action: "project.delete", targetType: "project", targetId: row.id, details: { name: row.name } });
    return undefined;
  },
};
