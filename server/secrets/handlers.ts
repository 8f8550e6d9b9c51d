import { fieldIssues, type Secret, schemas } from "@keyplane/api";
import { auditObject, createNamed } from "../audit/record";
import { type Handlers, iso, principalName, type Services } from "../http/context";
import { ApiError, found } from "../http/errors";
import { findProject } from "../projects/handlers";
import type { Db } from "../store/database";
import { deploymentUsingSecret } from "../store/deployments";
import { endReplaysOf } from "../store/idempotency";
import { newId } from "../store/ids";
import type { SecretRow } from "../store/schema";
import {
  deleteSecretRow,
  findSecretRow,
  insertSecret,
  insertSecretVersion,
  listSecretRows,
  updateSecretRow,
} from "../store/secrets";

const toSecret = (r: SecretRow): Secret => ({
  id: r.id,
  projectId: r.project_id,
  name: r.name,
  description: r.description,
  useCase: r.use_case,
  version: r.version,
  createdAt: iso(r.created_at),
  createdBy: r.created_by,
  updatedAt: iso(r.updated_at),
  updatedBy: r.updated_by,
  allowedUpstreams: JSON.parse(r.allowed_upstreams),
  managedBy: r.managed_by,
});

async function findSecret(db: Db, projectId: string, id: string): Promise<SecretRow> {
  return found(await findSecretRow(db, projectId, id), `secret ${id}`);
}

async function storeValue(ctx: Services, secretId: string, version: number, value: unknown, at: number) {
  // The id and version are bound into the ciphertext: a row copied elsewhere does not decrypt.
  const ciphertext = ctx.keyring.encrypt(JSON.stringify(value), `${secretId}:${version}`);
  await insertSecretVersion(ctx.db, { secret_id: secretId, version, ciphertext, created_at: at });
}

export const secretHandlers = {
  async createSecret(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    const now = ctx.now();
    const who = principalName(ctx.principal);
    const row: SecretRow = {
      id: newId("sec"),
      project_id: ctx.params.projectId,
      name: ctx.body.name,
      description: ctx.body.description ?? "",
      use_case: ctx.body.useCase,
      version: 1,
      created_at: now,
      created_by: who,
      updated_at: now,
      updated_by: who,
      managed_by: ctx.body.managedBy ?? null,
      allowed_upstreams: JSON.stringify(ctx.body.allowedUpstreams ?? []),
    };
    const insert = async () => {
      await insertSecret(ctx.db, row);
      await storeValue(ctx, row.id, 1, ctx.body.value, now);
    };
    await createNamed(ctx, now, { kind: "secret", id: row.id, name: row.name, projectId: row.project_id }, insert, {
      name: row.name,
      useCase: row.use_case,
      allowedUpstreams: ctx.body.allowedUpstreams ?? [],
    });
    return toSecret(row);
  },

  async listSecrets(ctx) {
    await findProject(ctx.db, ctx.params.projectId);
    const { useCase, managedBy, search } = ctx.query;
    const rows = await listSecretRows(ctx.db, ctx.params.projectId, {
      useCase: useCase || undefined,
      managedBy: managedBy || undefined,
      search: search || undefined,
    });
    return { items: rows.map(toSecret) };
  },

  async getSecret(ctx) {
    return toSecret(await findSecret(ctx.db, ctx.params.projectId, ctx.params.id));
  },

  async updateSecret(ctx) {
    const row = await findSecret(ctx.db, ctx.params.projectId, ctx.params.id);
    const now = ctx.now();
    const who = principalName(ctx.principal);
    const next: SecretRow = {
      ...row,
      description: ctx.body.description ?? row.description,
      managed_by: ctx.body.managedBy === undefined ? row.managed_by : ctx.body.managedBy,
      updated_at: now,
      updated_by: who,
    };
    await updateSecretRow(ctx.db, row.id, {
      description: next.description,
      managed_by: next.managed_by,
      updated_at: now,
      updated_by: who,
    });
    await auditObject(ctx, now, { kind: "secret", id: row.id, projectId: row.project_id }, "update", {
      fields: Object.keys(ctx.body),
    });
    return toSecret(next);
  },

  async putSecretValue(ctx) {
    const row = await findSecret(ctx.db, ctx.params.projectId, ctx.params.id);
    const parsed = schemas.SECRET_VALUE_SCHEMAS[row.use_case].safeParse(ctx.body.value);
    if (!parsed.success) {
      throw new ApiError(
        "invalid_request",
        `the value does not fit use case ${row.use_case}`,
        fieldIssues(parsed.error, "value"),
      );
    }
    const now = ctx.now();
    const version = row.version + 1;
    const who = principalName(ctx.principal);
    // Where the value may go changes only with the value: widening it takes knowing (or replacing)
    // the secret. Narrowing takes effect at once: a deployment left pointing elsewhere gets 502.
    const allowed =
      ctx.body.allowedUpstreams === undefined ? row.allowed_upstreams : JSON.stringify(ctx.body.allowedUpstreams);
    await storeValue(ctx, row.id, version, parsed.data, now);
    await updateSecretRow(ctx.db, row.id, { version, allowed_upstreams: allowed, updated_at: now, updated_by: who });
    await auditObject(ctx, now, { kind: "secret", id: row.id, projectId: row.project_id }, "put_value", {
      version,
      ...(ctx.body.allowedUpstreams === undefined ? {} : { allowedUpstreams: ctx.body.allowedUpstreams }),
    });
    return toSecret({ ...row, version, allowed_upstreams: allowed, updated_at: now, updated_by: who });
  },

  async deleteSecret(ctx) {
    const row = await findSecret(ctx.db, ctx.params.projectId, ctx.params.id);
    // A deployment's upstream credential cannot vanish under it: unset upstreamSecret first.
    const user = await deploymentUsingSecret(ctx.db, row.id);
    if (user) throw new ApiError("conflict", `secret ${row.name} is the upstreamSecret of deployment ${user.name}`);
    await deleteSecretRow(ctx.db, row.id);
    await endReplaysOf(ctx.db, row.id);
    await auditObject(ctx, ctx.now(), { kind: "secret", id: row.id, projectId: row.project_id }, "delete", {
      name: row.name,
    });
    return undefined;
  },
} satisfies Partial<Handlers>;
