import type * as pulumi from "@pulumi/pulumi";
import { schemas, type Deployment } from "@keyplane/api";
import { changedFields, checkInputs, compact } from "../check";
import { clientFor } from "../connect";
import { DeploymentInputs } from "../inputs";

const path = (project: string, id = "") => `/v1/projects/${project}/deployments${id ? `/${id}` : ""}`;
const outputs = (inputs: any, d: Deployment) =>
  compact({
    ...inputs,
    name: d.name,
    model: d.model,
    status: d.status,
    upstreamUrl: d.upstreamUrl ?? undefined,
    upstreamSecret: d.upstreamSecret ?? undefined,
    createdAt: d.createdAt,
  });

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return checkInputs(DeploymentInputs, news);
  },
  async diff(_id, olds, news) {
    const changes = changedFields({ status: "running", ...olds }, { status: "running", ...news }, ["project", "name", "model", "status", "upstreamUrl", "upstreamSecret"]);
    return { changes: changes.length > 0, replaces: changedFields(olds, news, ["project", "name"]), deleteBeforeReplace: true, stables: ["project", "name", "createdAt"] };
  },
  async create(inputs) {
    const d = await clientFor(inputs).create<Deployment>(
      path(inputs.project),
      { name: inputs.name, model: inputs.model, status: inputs.status, upstreamUrl: inputs.upstreamUrl, upstreamSecret: inputs.upstreamSecret },
      schemas.Deployment,
    );
    return { id: d.id, outs: outputs(inputs, d) };
  },
  async read(id, props) {
    const d = await clientFor(props).find<Deployment>({ method: "GET", path: path(props.project, id), response: schemas.Deployment });
    if (!d) return {};
    return { id, props: outputs(props, d) };
  },
  async update(id, _olds, news) {
    const d = await clientFor(news).call<Deployment>({
      method: "PATCH",
      path: path(news.project, id),
      body: { model: news.model, status: news.status ?? "running", upstreamUrl: news.upstreamUrl ?? null, upstreamSecret: news.upstreamSecret ?? null },
      response: schemas.Deployment,
    });
    return { outs: outputs(news, d) };
  },
  async delete(id, props) {
    await clientFor(props).find({ method: "DELETE", path: path(props.project, id) });
  },
};
