import type { Db } from "../store/database";
import { callableDeploymentRows } from "../store/deployments";
import type { AdmittedKey } from "./gate";

/** GET /v1/models: the running deployments this key may call, in OpenAI's list format. */
export async function callableModels(db: Db, key: AdmittedKey) {
  const rows = await callableDeploymentRows(db, {
    id: key.id,
    projectId: key.projectId,
    boundOnly: key.deploymentAccess === "bound" && key.scope !== "project",
  });
  return {
    object: "list" as const,
    data: rows.map((r) => ({
      id: r.name,
      object: "model" as const,
      created: Math.floor(Number(r.created_at) / 1000),
      owned_by: r.project,
    })),
  };
}
