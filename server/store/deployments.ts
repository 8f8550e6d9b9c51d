import type { Db } from "./database";
import type { DeploymentRow } from "./schema";

// Every query on the deployments table.

export async function insertDeployment(db: Db, row: DeploymentRow): Promise<void> {
  await db.insertInto("deployments").values(row).execute();
}

export function findDeploymentRow(db: Db, projectId: string, id: string): Promise<DeploymentRow | undefined> {
  return db
    .selectFrom("deployments")
    .selectAll()
    .where("id", "=", id)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

export function listDeploymentRows(db: Db, projectId: string): Promise<DeploymentRow[]> {
  return db
    .selectFrom("deployments")
    .selectAll()
    .where("project_id", "=", projectId)
    .orderBy("created_at")
    .orderBy("id")
    .execute();
}

export async function updateDeploymentRow(
  db: Db,
  id: string,
  changes: Pick<DeploymentRow, "model" | "status" | "upstream_url" | "upstream_secret" | "updated_at">,
): Promise<void> {
  await db.updateTable("deployments").set(changes).where("id", "=", id).execute();
}

export async function deleteDeploymentRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom("deployments").where("id", "=", id).execute();
}

/** A deployment that sends this secret upstream, if any. */
export function deploymentUsingSecret(db: Db, secretId: string): Promise<Pick<DeploymentRow, "name"> | undefined> {
  return db.selectFrom("deployments").select("name").where("upstream_secret", "=", secretId).executeTakeFirst();
}

/** The running deployments of a project a key may call: all of them, or only those bound to it. */
export function callableDeploymentRows(db: Db, key: { id: string; projectId: string; boundOnly: boolean }) {
  return db
    .selectFrom("deployments as d")
    .innerJoin("projects as p", "p.id", "d.project_id")
    .select(["d.name", "d.created_at", "p.name as project"])
    .where("d.project_id", "=", key.projectId)
    .where("d.status", "=", "running")
    .$if(key.boundOnly, (q) =>
      q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("bindings as b")
            .select("b.api_key_id")
            .where("b.api_key_id", "=", key.id)
            .whereRef("b.deployment_id", "=", "d.id"),
        ),
      ),
    )
    .orderBy("d.name")
    .execute();
}
