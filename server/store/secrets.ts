import type { Db } from "./database";
import type { SecretRow, SecretVersionRow } from "./schema";

// Every query on the secrets and secret_versions tables.

export async function insertSecret(db: Db, row: SecretRow): Promise<void> {
  await db.insertInto("secrets").values(row).execute();
}

export async function insertSecretVersion(db: Db, row: SecretVersionRow): Promise<void> {
  await db.insertInto("secret_versions").values(row).execute();
}

export function findSecretRow(db: Db, projectId: string, id: string): Promise<SecretRow | undefined> {
  return db
    .selectFrom("secrets")
    .selectAll()
    .where("id", "=", id)
    .where("project_id", "=", projectId)
    .executeTakeFirst();
}

export interface SecretFilter {
  useCase?: SecretRow["use_case"];
  managedBy?: string;
  /** A substring of the name. */
  search?: string;
}

export function listSecretRows(db: Db, projectId: string, f: SecretFilter): Promise<SecretRow[]> {
  return (
    db
      .selectFrom("secrets")
      .selectAll()
      .where("project_id", "=", projectId)
      .$if(f.useCase !== undefined, (q) => q.where("use_case", "=", f.useCase!))
      .$if(f.managedBy !== undefined, (q) => q.where("managed_by", "=", f.managedBy!))
      // LIKE's own wildcards in the search are dropped, so it matches a plain substring.
      .$if(f.search !== undefined, (q) => q.where("name", "like", `%${f.search!.replace(/[%_\\]/g, "")}%`))
      .orderBy("name")
      .execute()
  );
}

export async function updateSecretRow(
  db: Db,
  id: string,
  changes: Partial<
    Pick<SecretRow, "description" | "managed_by" | "version" | "allowed_upstreams" | "updated_at" | "updated_by">
  >,
): Promise<void> {
  await db.updateTable("secrets").set(changes).where("id", "=", id).execute();
}

/** A secret and every version of its value. */
export async function deleteSecretRow(db: Db, id: string): Promise<void> {
  await db.deleteFrom("secret_versions").where("secret_id", "=", id).execute();
  await db.deleteFrom("secrets").where("id", "=", id).execute();
}

/** A secret of the project with the sealed value of its current version. */
export function currentSecretValue(db: Db, projectId: string, id: string) {
  return db
    .selectFrom("secrets as s")
    .innerJoin("secret_versions as v", (j) => j.onRef("v.secret_id", "=", "s.id").onRef("v.version", "=", "s.version"))
    .select(["s.id", "s.name", "s.use_case", "s.version", "s.allowed_upstreams", "v.ciphertext"])
    .where("s.id", "=", id)
    .where("s.project_id", "=", projectId)
    .executeTakeFirst();
}
