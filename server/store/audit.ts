import type { Selectable } from "kysely";
import type { Db } from "./database";
import type { AuditRow } from "./schema";

// Every query on the audit table.

export async function insertAudit(db: Db, row: Omit<AuditRow, "id">): Promise<void> {
  await db.insertInto("audit").values(row).execute();
}

/** A project's entries, newest first; `before` (an id) pages back. */
export function listAuditRows(
  db: Db,
  projectId: string,
  page: { before?: number; limit: number },
): Promise<Selectable<AuditRow>[]> {
  return db
    .selectFrom("audit")
    .selectAll()
    .where("project_id", "=", projectId)
    .$if(page.before !== undefined, (q) => q.where("id", "<", page.before!))
    .orderBy("id", "desc")
    .limit(page.limit)
    .execute();
}
