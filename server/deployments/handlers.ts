import type { Deployment } from "@keyplane/api";
import { auditObject, createNamed } from "../audit/record";
import { type Handlers, iso, type Services } from "../http/context";
import { ApiError, found } from "../http/errors";
import { findProject } from "../projects/handlers";
import { originAllowed } from "../secrets/pinning";
import { deleteBindingsOfDeployment } from "../store/bindings";
import type { Db } from "../store/database";
import {
  deleteDeploymentRow,
  findDeploymentRow,
  insertDeployment,
  listDeploymentRows,
  updateDeploymentRow,
} from "../store/deployments";
import { endReplaysOf } from "../store/idempotency";
import { newId } from "../store/ids";
import type { DeploymentRow } from "../store/schema";
import { currentSecretValue } from "../store/secrets";

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

/** A deployment of the project, or 404. */
export async function findDeployment(db: Db, projectId: string, id: string): Promise<DeploymentRow> {
  return found(await findDeploymentRow(db, projectId, id), `deployment ${id}`);
}

/**
 * An upstreamSecret must be a Secret of the same project that holds a bearer token: a
 * huggingface secret (its `token`) or a generic one with a `token` entry; and the deployment's
 * upstreamUrl must be an origin the secret allows. Whoever cannot read a secret thus cannot
 * point the gateway elsewhere to have it sent there: the PATCH is refused, naming the field it changed.
 */
async function checkUpstreamSecret(
  ctx: Services,
  projectId: string,
  target: { upstreamSecret: string | null; upstreamUrl: string | null },
  urlChanged: boolean,
): Promise<void> {
  const { upstreamSecret: id, upstreamUrl } = target;
  if (id === null) return;
  const refuse = (message: string) =>
    new ApiError("invalid_request", `upstreamSecret ${message}`, [{ path: "upstreamSecret", message }]);
  const secret = await currentSecretValue(ctx.db, projectId, id);
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
    const path = urlChanged ? "upstreamUrl" : "upstreamSecret";
    throw new ApiError("invalid_request", `${path}: ${message}`, [{ path, message }]);
  }
}

export const deploymentHandlers = {
  async createDeployment(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    const upstream = { upstreamSecret: ctx.body.upstreamSecret ?? null, upstreamUrl: ctx.body.upstreamUrl ?? null };
    await checkUpstreamSecret(ctx, ctx.params.projectId, upstream, upstream.upstreamUrl !== null);
    const now = ctx.now();
    const row: DeploymentRow = {
      id: newId("dep"),
      project_id: ctx.params.projectId,
      name: ctx.body.name,
      model: ctx.body.model,
      status: ctx.body.status ?? "running",
      upstream_url: upstream.upstreamUrl,
      upstream_secret: upstream.upstreamSecret,
      created_at: now,
      updated_at: now,
    };
    await createNamed(
      ctx,
      now,
      { kind: "deployment", id: row.id, name: row.name, projectId: row.project_id },
      () => insertDeployment(ctx.db, row),
      {
        name: row.name,
        model: row.model,
      },
    );
    return toDeployment(row);
  },

  async listDeployments(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    return { items: (await listDeploymentRows(ctx.db, ctx.params.projectId)).map(toDeployment) };
  },

  async getDeployment(ctx) {
    return toDeployment(await findDeployment(ctx.db, ctx.params.projectId, ctx.params.id));
  },

  async updateDeployment(ctx) {
    const row = await findDeployment(ctx.db, ctx.params.projectId, ctx.params.id);
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
    if (ctx.body.upstreamSecret !== undefined || ctx.body.upstreamUrl !== undefined) {
      await checkUpstreamSecret(
        ctx,
        row.project_id,
        { upstreamSecret: next.upstream_secret, upstreamUrl: next.upstream_url },
        ctx.body.upstreamUrl !== undefined,
      );
    }
    await updateDeploymentRow(ctx.db, row.id, {
      model: next.model,
      status: next.status,
      upstream_url: next.upstream_url,
      upstream_secret: next.upstream_secret,
      updated_at: now,
    });
    await auditObject(ctx, now, { kind: "deployment", id: row.id, projectId: row.project_id }, "update", {
      fields: Object.keys(ctx.body),
    });
    return toDeployment(next);
  },

  async deleteDeployment(ctx) {
    const row = await findDeployment(ctx.db, ctx.params.projectId, ctx.params.id);
    await deleteBindingsOfDeployment(ctx.db, row.id);
    await deleteDeploymentRow(ctx.db, row.id);
    await endReplaysOf(ctx.db, row.id);
    await auditObject(ctx, ctx.now(), { kind: "deployment", id: row.id, projectId: row.project_id }, "delete", {
      name: row.name,
    });
    return undefined;
  },
} satisfies Partial<Handlers>;
