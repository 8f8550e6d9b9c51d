import type { Db } from "./database";
import type { ProjectRow } from "./schema";

// Every query on the projects table.

export async function insertProject(db: Db, row: ProjectRow): Promise<void> {
  await db.insertInto("projects").values(row).execute();
}

export function findProjectRow(db: Db, id: string): Promise<ProjectRow | undefined> {
  return db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst();
}

export function listProjectRows(db: Db): Promise<ProjectRow[]> {
  return db.selectFrom("projects").selectAll().orderBy("created_at").orderBy("id").execute();
}

export async function updateProjectRow(
  db: Db,
  id: string,
  changes: Pick<ProjectRow, "description" | "updated_at">,
): Promise<void> {
  await db.updateTable("projects").set(changes).where("id", "=", id).execute();
}

export async function deleteProjectRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom("projects").where("id", "=", id).execute();
}

/** Whether the project still holds deployments or secrets (live keys: projectHasLiveKeys). */
export async function projectHasObjects(db: Db, id: string): Promise<boolean> {
  const [deployment, secret] = await Promise.all([
    db.selectFrom("deployments").select("id").where("project_id", "=", id).limit(1).executeTakeFirst(),
    db.selectFrom("secrets").select("id").where("project_id", "=", id).limit(1).executeTakeFirst(),
  ]);
  return deployment !== undefined || secret !== undefined;
}
