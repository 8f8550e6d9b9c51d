import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import { principalName, type Principal } from "../http/context";

export interface AuditEntry {
  projectId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  /** Names and flags only: callers never pass a key or a secret value. */
  details?: Record<string, unknown>;
}

/** Records a management write in the same transaction as the write itself; a string names a principal that is not a credential (a leak scanner). */
export async function recordAudit(db: Kysely<Database>, principal: Principal | string, at: number, entry: AuditEntry): Promise<void> {
  await db
    .insertInto("audit")
    .values({
      project_id: entry.projectId,
      at,
      principal: typeof principal === "string" ? principal : principalName(principal),
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}
