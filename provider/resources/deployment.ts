import { type Deployment, schemas } from "@keyplane/api";
import type { z } from "zod";
import { compact } from "../check";
import { DeploymentInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

const outputs = (inputs: z.input<typeof DeploymentInputs>, d: Deployment) =>
  compact({
    ...inputs,
    name: d.name,
    model: d.model,
    status: d.status,
    upstreamUrl: d.upstreamUrl ?? undefined,
    upstreamSecret: d.upstreamSecret ?? undefined,
    createdAt: d.createdAt,
  });

export const provider = resourceKind({
  inputs: DeploymentInputs,
  path: (props, id) => `/v1/projects/${props.project}/deployments${id ? `/${id}` : ""}`,
  response: schemas.Deployment,
  replaceOn: ["project", "name"],
  updateOn: ["model", "status", "upstreamUrl", "upstreamSecret", "managedBy"],
  defaults: { status: "running" },
  deleteBeforeReplace: true,
  stables: ["project", "name", "createdAt"],
  createBody: (inputs): z.input<typeof schemas.DeploymentCreate> => ({
    name: inputs.name,
    model: inputs.model,
    status: inputs.status,
    upstreamUrl: inputs.upstreamUrl,
    upstreamSecret: inputs.upstreamSecret,
  }),
  outputs,
  inputsInState: ({ createdAt: _c, ...inputs }) => inputs,
  update: (client, id, _olds, news) => {
    const body: z.input<typeof schemas.DeploymentPatch> = {
      model: news.model,
      status: news.status ?? "running",
      upstreamUrl: news.upstreamUrl ?? null,
      upstreamSecret: news.upstreamSecret ?? null,
    };
    return client.call<Deployment>({
      method: "PATCH",
      path: `/v1/projects/${news.project}/deployments/${id}`,
      body,
      response: schemas.Deployment,
    });
  },
});
