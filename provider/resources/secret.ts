import { type Secret, schemas } from "@keyplane/api";
import type { z } from "zod";
import { compact } from "../check";
import { SecretInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

const path = (project: string, id?: string) => `/v1/projects/${project}/secrets${id ? `/${id}` : ""}`;

const outputs = (inputs: z.input<typeof SecretInputs>, s: Secret) =>
  compact({
    ...inputs,
    name: s.name,
    useCase: s.useCase,
    version: s.version,
    createdAt: s.createdAt,
    createdBy: s.createdBy,
  });

export const provider = resourceKind({
  inputs: SecretInputs,
  path: (props, id) => path(props.project, id),
  response: schemas.Secret,
  replaceOn: ["project", "name", "useCase"],
  updateOn: ["description", "value", "allowedUpstreams", "managedBy"],
  // A name exists once per project, so a replacement deletes the old secret first.
  deleteBeforeReplace: true,
  stables: ["project", "name", "useCase", "createdAt"],
  createBody: (inputs) => ({
    name: inputs.name,
    description: inputs.description,
    useCase: inputs.useCase,
    value: inputs.value,
    allowedUpstreams: inputs.allowedUpstreams,
    managedBy: inputs.managedBy,
  }),
  outputs,
  inputsInState: ({ version: _v, createdAt: _c, createdBy: _b, ...inputs }) => inputs,
  async update(client, id, _olds, news, changed) {
    let s: Secret | undefined;
    // allowedUpstreams changes only with a value (the server's rule), so either change puts both: a new version.
    if (changed.includes("value") || changed.includes("allowedUpstreams")) {
      const body: z.input<typeof schemas.SecretValuePut> = {
        value: news.value,
        allowedUpstreams: news.allowedUpstreams ?? [],
      };
      s = await client.call<Secret>({
        method: "PUT",
        path: `${path(news.project, id)}/value`,
        body,
        response: schemas.Secret,
      });
    }
    if (changed.includes("description") || changed.includes("managedBy")) {
      const body: z.input<typeof schemas.SecretPatch> = {
        description: news.description ?? "",
        managedBy: news.managedBy ?? null,
      };
      s = await client.call<Secret>({ method: "PATCH", path: path(news.project, id), body, response: schemas.Secret });
    }
    return s ?? client.call<Secret>({ method: "GET", path: path(news.project, id), response: schemas.Secret });
  },
});
