import { type Project, schemas } from "@keyplane/api";
import type { z } from "zod";
import { compact } from "../check";
import { ProjectInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

const outputs = (inputs: z.input<typeof ProjectInputs>, p: Project) =>
  compact({ ...inputs, name: p.name, description: p.description || undefined, createdAt: p.createdAt });

export const provider = resourceKind({
  inputs: ProjectInputs,
  path: (props, id) => (id ? `/v1/projects/${id}` : "/v1/projects"),
  response: schemas.Project,
  replaceOn: ["name"],
  updateOn: ["description", "managedBy"],
  deleteBeforeReplace: true,
  stables: ["name", "createdAt"],
  createBody: (inputs): z.input<typeof schemas.ProjectCreate> => ({
    name: inputs.name,
    description: inputs.description,
  }),
  outputs,
  inputsInState: ({ createdAt: _c, ...inputs }) => inputs,
  update: (client, id, _olds, news) =>
    client.call<Project>({
      method: "PATCH",
      path: `/v1/projects/${id}`,
      body: { description: news.description ?? "" } satisfies z.input<typeof schemas.ProjectPatch>,
      response: schemas.Project,
    }),
});
