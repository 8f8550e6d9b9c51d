import type * as pulumi from "@pulumi/pulumi";
import { schemas, type Secret } from "@keyplane/api";
import { changedFields, checkInputs, compact } from "../check";
import { clientFor, withoutConnection } from "../connect";
import { SecretInputs } from "../inputs";

const path = (project: string, id = "") => `/v1/projects/${project}/secrets${id ? `/${id}` : ""}`;
const outputs = (inputs: any, s: Secret) => compact({ ...inputs, name: s.name, useCase: s.useCase, version: s.version, createdAt: s.createdAt, createdBy: s.createdBy });

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return checkInputs(SecretInputs, news);
  },
  async diff(_id, olds, news) {
    const changes = changedFields(olds, news, ["project", "name", "useCase", "description", "value"]);
    // A name can exist once per project, so a replacement deletes the old secret first.
    return {
      changes: changes.length > 0,
      replaces: changedFields(olds, news, ["project", "name", "useCase", "description"]),
      deleteBeforeReplace: true,
      stables: ["project", "name", "useCase", "createdAt"],
    };
  },
  async create(inputs) {
    const body = withoutConnection({ name: inputs.name, description: inputs.description, useCase: inputs.useCase, value: inputs.value });
    const s = await clientFor(inputs).create<Secret>(path(inputs.project), body, schemas.Secret);
    return { id: s.id, outs: outputs(inputs, s) };
  },
  async read(id, props) {
    const s = await clientFor(props).find<Secret>({ method: "GET", path: path(props.project, id), response: schemas.Secret });
    if (!s) return {};
    return { id, props: outputs(props, s) };
  },
  async update(id, olds, news) {
    let s: Secret | undefined;
    if (JSON.stringify(olds.value) !== JSON.stringify(news.value)) {
      s = await clientFor(news).call<Secret>({ method: "PUT", path: `${path(news.project, id)}/value`, body: { value: news.value }, response: schemas.Secret });
    }
    s ??= await clientFor(news).call<Secret>({ method: "GET", path: path(news.project, id), response: schemas.Secret });
    return { outs: outputs(news, s) };
  },
  async delete(id, props) {
    await clientFor(props).find({ method: "DELETE", path: path(props.project, id) });
  },
};
