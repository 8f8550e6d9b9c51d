import type * as pulumi from "@pulumi/pulumi";
import { schemas, type Project } from "@keyplane/api";
import { changedFields, checkInputs, compact } from "../check";
import { clientFor } from "../connect";
import { ProjectInputs } from "../inputs";

const path = (id: string) => `/v1/projects/${id}`;
const outputs = (inputs: any, p: Project) => compact({ ...inputs, name: p.name, description: p.description || undefined, createdAt: p.createdAt });

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return checkInputs(ProjectInputs, news);
  },
  async diff(_id, olds, news) {
    const replaces = changedFields(olds, news, ["name"]);
    const changes = changedFields(olds, news, ["name", "description"]);
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: true, stables: ["name", "createdAt"] };
  },
  async create(inputs) {
    const p = await clientFor(inputs).create<Project>("/v1/projects", { name: inputs.name, description: inputs.description }, schemas.Project);
    return { id: p.id, outs: outputs(inputs, p) };
  },
  async read(id, props) {
    const p = await clientFor(props).find<Project>({ method: "GET", path: path(id), response: schemas.Project });
    if (!p) return {};
    const outs = outputs(props, p);
    return { id, props: outs };
  },
  async update(id, _olds, news) {
    const p = await clientFor(news).call<Project>({ method: "PATCH", path: path(id), body: { description: news.description ?? "" }, response: schemas.Project });
    return { outs: outputs(news, p) };
  },
  async delete(id, props) {
    await clientFor(props).find({ method: "DELETE", path: path(id) });
  },
};
