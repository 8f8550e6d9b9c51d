import { type Principal, principalName } from "../http/context";
import { ApiError } from "../http/errors";
import { insertAudit } from "../store/audit";
import { type Db, isUniqueViolation } from "../store/database";

export interface AuditEntry {
  projectId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  /** Names and flags only: callers never pass a key or a secret value. */
  details?: Record<string, unknown>;
}

/** Records a management write in the same transaction as the write itself; a string names a principal that is not a credential (a leak scanner). */
export async function recordAudit(db: Db, principal: Principal | string, at: number, entry: AuditEntry): Promise<void> {
  await insertAudit(db, {
    project_id: entry.projectId,
    at,
    principal: typeof principal === "string" ? principal : principalName(principal),
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    details: JSON.stringify(entry.details ?? {}),
  });
}

/** What an audit entry of a write to one object names: `<kind>.<verb>` on it. */
interface Audited {
  kind: "project" | "deployment" | "secret" | "api_key";
  id: string;
  projectId: string;
}

/** The audit entry of a management write to one object, in the write's transaction. */
export async function auditObject(
  ctx: { db: Db; principal: Principal },
  at: number,
  object: Audited,
  verb: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await recordAudit(ctx.db, ctx.principal, at, {
    projectId: object.projectId,
    action: `${object.kind}.${verb}`,
    targetType: object.kind,
    targetId: object.id,
    details,
  });
}

/**
 * A create of a named object: the insert, or 409 `name_taken` naming the field when the name is
 * taken (project names are unique on the server, the others in their project), then its audit entry.
 */
export async function createNamed(
  ctx: { db: Db; principal: Principal },
  at: number,
  object: Audited & { kind: "project" | "deployment" | "secret"; name: string },
  insert: () => Promise<void>,
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await insert();
  } catch (e) {
    if (isUniqueViolation(e)) {
      const where = object.kind === "project" ? "" : " in this project";
      throw new ApiError("name_taken", `a ${object.kind} named ${object.name} already exists${where}`, [
        { path: "name", message: "is taken" },
      ]);
    }
    throw e;
  }
  await auditObject(ctx, at, object, "create", details);
}
