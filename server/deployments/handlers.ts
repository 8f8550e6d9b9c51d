import type { Deployment } from "@keyplane/api";
import type { DeploymentRow } from "../store/schema";
import { ApiError, notFound } from "../http/errors";
import { recordAudit } from "../audit/record";
import { iso, type RequestContext } from "../http/context";
import { newId } from "../store/ids";
import { deleteBindingsOfDeployment } from "../store/bindings";
import { isUniqueViolation } from "../store/database";
import { findProject } from "../projects/handlers";
import { endReplaysOf } from "../http/idempotency";
import { originAllowed } from "../gateway/upstream";

export const toDeployment = (r: DeploymentRow): Deployment => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  model: r.model,
  status: r.status,
  upstreamUrl: r.upstream_url,
  upstreamSecret: r.upstream_secret,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function findDeployment(ctx: RequestContext, id: string): Promise<DeploymentRow> {
  const row = await ctx.db.selectFrom("deployments").selectAll().where("id", "=", id).where("project_id", "=", ctx.params.projectId).executeTakeFirst();
  if (!row) throw notFound(`deployment ${id}`);
  return row;
}

/**
 * An upstreamSecret must be a Secret of the same project that holds a bearer token: a
 * huggingface secret (its `token`) or a generic one with a `token` entry; and the deployment's
 * upstreamUrl must be an origin the secret allows. Whoever cannot read a secret thus cannot
 * point the gateway elsewhere to have it sent there: the PATCH is refused, naming the field it changed.
 */
async function checkUpstreamSecret(ctx: RequestContext, id: string | null, upstreamUrl: string | null): Promise<void> {
  if (id === null) return;
  const refuse = (message: string) => new ApiError("invalid_request", `upstreamSecret ${message}`, [{ path: "upstreamSecret", message }]);
  const secret = await ctx.db
    .selectFrom("secrets as s")
    .innerJoin("secret_versions as v", (j) => j.onRef("v.secret_id", "=", "s.id").onRef("v.version", "=", "s.version"))
    .select(["s.id", "s.name", "s.use_case", "s.version", "s.allowed_upstreams", "v.ciphertext"])
    .where("s.id", "=", id)
    .where("s.project_id", "=", ctx.params.projectId)
    .executeTakeFirst();
  if (!secret) throw refuse("must be the id of a secret in this project");
  if (secret.use_case === "generic") {
    const value = JSON.parse(ctx.keyring.decrypt(secret.ciphertext, `${secret.id}:${secret.version}`));
    if (typeof value.data?.token !== "string") throw refuse("is a generic secret without a token entry");
  } else if (secret.use_case !== "huggingface") {
    throw refuse("must be a huggingface secret or a generic secret with a token entry");
  }
  if (upstreamUrl !== null && !originAllowed(JSON.parse(secret.allowed_upstreams), upstreamUrl)) {
    const origin = new URL(upstreamUrl).origin;
    const message = `${origin} is not in the allowedUpstreams of secret ${secret.name} (set them with the secret's value)`;
    // Name the field this request changed: the URL when it moved, else the secret it named.
    const path = "upstreamUrl" in ctx.body && ctx.body.upstreamUrl !== undefined ? "upstreamUrl" : "upstreamSecret";
    throw new ApiError("invalid_request", `${path}: ${message}`, [{ path, message }]);
  }
}

export const deploymentHandlers = {
  async createDeployment(ctx: RequestContext) {
    await findProject(ctx, ctx.params.projectId);
    await checkUpstreamSecret(ctx, ctx.body.upstreamSecret ?? null, ctx.body.upstreamUrl ?? null);
    const now = ctx.now();
    const row: DeploymentRow = {
      id: newId("dep"),
      project_id: ctx.params.projectId,
      name: ctx.body.name,
      model: ctx.body.model,
      status: ctx.body.status ?? "running",
      upstream_url: ctx.body.upstreamUrl ?? null,
      upstream_secret: ctx.body.upstreamSecret ?? null,
      created_at: now,
      updated_at: now,
    };
    try {
      await ctx.db.insertInto("deployments").values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e)) throw new ApiError("name_taken", `a deployment named ${row.name} already exists in this project`, [{ path: "name", message: "is taken" }]);
      throw e;
    }
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.project_id,
      action: "deployment.create",
      targetType: "deployment",
      targetId: row.id,
      details: { name: row.name, model: row.model },
    });
    return toDeployment(row);
  },

  async listDeployments(ctx: RequestContext) {
    await findProject(ctx, ctx.params.projectId);
    const rows = await ctx.db.selectFrom("deployments").selectAll().where("project_id", "=", ctx.params.projectId).orderBy("created_at").orderBy("id").execute();
    return { items: rows.map(toDeployment) };
  },

  async getDeployment(ctx: RequestContext) {
    return toDeployment(await findDeployment(ctx, ctx.params.id));
  },

  async updateDeployment(ctx: RequestContext) {
    const row = await findDeployment(ctx, ctx.params.id);
    const now = ctx.now();
    const next: DeploymentRow = {
      ...row,
      model: ctx.body.model ?? row.model,
      status: ctx.body.status ?? row.status,
      upstream_url: ctx.body.upstreamUrl === undefined ? row.upstream_url : ctx.body.upstreamUrl,
      upstream_secret: ctx.body.upstreamSecret === undefined ? row.upstream_secret : ctx.body.upstreamSecret,
      updated_at: now,
    };
    // Judged on where the deployment ends up: a new URL against the secret it keeps, too.
    if (ctx.body.upstreamSecret !== undefined || ctx.body.upstreamUrl !== undefined) await checkUpstreamSecret(ctx, next.upstream_secret, next.upstream_url);
    await ctx.db
      .updateTable("deployments")
      .set({ model: next.model, status: next.status, upstream_url: next.upstream_url, upstream_secret: next.upstream_secret, updated_at: now })
      .where("id", "=", row.id)
      .execute();
    await recordAudit(ctx.db, ctx.principal, now, {
      projectId: row.project_id,
      action: "deployment.update",
      targetType: "deployment",
      targetId: row.id,
      details: { fields: Object.keys(ctx.body) },
    });
    return toDeployment(next);
  },

  async deleteDeployment(ctx: RequestContext) {
    const row = await findDeployment(ctx, ctx.params.id);
    await deleteBindingsOfDeployment(ctx.db, row.id);
    await ctx.db.deleteFrom("deployments").where("id", "=", row.id).execute();
    await endReplaysOf(ctx.db, row.id);
    await recordAudit(ctx.db, ctx.principal, ctx.now(), {
      projectId: row.project_id,
      action: "deployment.delete",
      targetType: "deployment",
      targetId: row.id,
      details: { name: row.name },
    });
    return undefined;
  },
};
