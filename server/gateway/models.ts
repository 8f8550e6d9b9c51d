import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import type { AdmittedKey } from "./gate";

/** GET /v1/models: the running deployments this key may call, in OpenAI's list format. */
export async function callableModels(db: Kysely<Database>, key: AdmittedKey) {
  let q = db
    .selectFrom("deployments as d")
    .innerJoin("projects as p", "p.id", "d.project_id")
    .select(["d.name", "d.created_at", "p.name as project"])
    .where("d.project_id", "=", key.projectId)
    .where("d.status", "=", "running");
  if (key.deploymentAccess === "bound" && key.scope !== "project") {
    q = q.where((eb) => eb.exists(eb.selectFrom("bindings as b").select("b.api_key_id").where("b.api_key_id", "=", key.id).whereRef("b.deployment_id", "=", "d.id")));
  }
  const rows = await q.orderBy("d.name").execute();
  return { object: "list" as const, data: rows.map((r) => ({ id: r.name, object: "model" as const, created: Math.floor(Number(r.created_at) / 1000), owned_by: r.project })) };
}
