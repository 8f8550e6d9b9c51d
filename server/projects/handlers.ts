import type { Project } from "@keyplane/api";
import { auditObject, createNamed } from "../audit/record";
import { type Handlers, iso } from "../http/context";
import { ApiError, found } from "../http/errors";
import { projectHasLiveKeys, revokeGraceKeysOfProject } from "../store/api-keys";
import type { Db } from "../store/database";
import { endReplaysOf } from "../store/idempotency";
import { newId } from "../store/ids";
import {
  deleteProjectRow,
  findProjectRow,
  insertProject,
  listProjectRows,
  projectHasObjects,
  updateProjectRow,
} from "../store/projects";
import type { ProjectRow } from "../store/schema";

export const toProject = (r: ProjectRow): Project => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

/** The project a path names, or 404. */
export async function findProject(db: Db, id: string): Promise<ProjectRow> {
  return found(await findProjectRow(db, id), `project ${id}`);
}

export const projectHandlers = {
  async createProject(ctx) {
    const now = ctx.now();
    const row: ProjectRow = {
      id: newId("prj"),
      name: ctx.body.name,
      description: ctx.body.description ?? "",
      created_at: now,
      updated_at: now,
    };
    await createNamed(
      ctx,
      now,
      { kind: "project", id: row.id, name: row.name, projectId: row.id },
      () => insertProject(ctx.db, row),
      { name: row.name },
    );
    return toProject(row);
  },

  async listProjects(ctx) {
    return { items: (await listProjectRows(ctx.db)).map(toProject) };
  },

  async getProject(ctx) {
    return toProject(await findProject(ctx.db, ctx.params.projectId));
  },

  async updateProject(ctx) {
    const row = await findProject(ctx.db, ctx.params.projectId);
    const now = ctx.now();
    const next = { ...row, description: ctx.body.description ?? row.description, updated_at: now };
    await updateProjectRow(ctx.db, row.id, { description: next.description, updated_at: now });
    await auditObject(ctx, now, { kind: "project", id: row.id, projectId: row.id }, "update", {
      fields: Object.keys(ctx.body),
    });
    return toProject(next);
  },

  async deleteProject(ctx) {
    const row = await findProject(ctx.db, ctx.params.projectId);
    const [objects, keys] = await Promise.all([projectHasObjects(ctx.db, row.id), projectHasLiveKeys(ctx.db, row.id)]);
    if (objects || keys) {
      throw new ApiError(
        "project_not_empty",
        `project ${row.name} still has deployments, live keys or secrets; delete them first`,
      );
    }
    await revokeGraceKeysOfProject(ctx.db, row.id, ctx.now());
    await deleteProjectRow(ctx.db, row.id);
    await endReplaysOf(ctx.db, row.id);
    await auditObject(ctx, ctx.now(), { kind: "project", id: row.id, projectId: row.id }, "delete", { name: row.name });
    return undefined;
  },
} satisfies Partial<Handlers>;
