import { type Project, schemas } from "@keyplane/api";
import { compact } from "../check";
import { ProjectInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

export const provider = resourceKind<Project>({
  inputs: ProjectInputs,
  path: (props, id) => (id ? `/v1/projects/${id}` : "/v1/projects"),
  response: schemas.Project,
  replaceOn: ["name"],
  updateOn: ["description", "managedBy"],
  deleteBeforeReplace: true,
  stables: ["name", "createdAt"],
  createBody: (inputs) => ({ name: inputs.name, description: inputs.description }),
  outputs: (inputs, p) => compact({ ...inputs, name: p.name, description: p.description || undefined, createdAt: p.createdAt }),
  update: (client, id, _olds, news) =>
    client.call<Project>({ method: "PATCH", path: `/v1/projects/${id}`, body: { description: news.description ?? "" }, response: schemas.Project }),
});
