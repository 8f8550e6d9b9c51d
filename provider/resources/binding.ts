import type * as pulumi from "@pulumi/pulumi";
import { schemas, type Binding } from "@keyplane/api";
import { changedFields, checkInputs, compact } from "../check";
import { clientFor } from "../connect";
import { BindingInputs } from "../inputs";

const path = (p: { project: string; apiKey: string; deployment: string }) => `/v1/projects/${p.project}/api-keys/${p.apiKey}/deployments/${p.deployment}`;

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return checkInputs(BindingInputs, news);
  },
  async diff(_id, olds, news) {
    const replaces = changedFields(olds, news, ["project", "apiKey", "deployment"]);
    return { changes: replaces.length > 0, replaces };
  },
  async create(inputs) {
    const b = await clientFor(inputs).call<Binding>({ method: "PUT", path: path(inputs as any), response: schemas.Binding });
    return { id: `${b.apiKeyId}/${b.deploymentId}`, outs: compact({ ...inputs, createdAt: b.createdAt }) };
  },
  async read(id, props) {
    const list = await clientFor(props).find<{ items: Binding[] }>({
      method: "GET",
      path: `/v1/projects/${props.project}/api-keys/${props.apiKey}/deployments`,
      response: schemas.listOf(schemas.Binding),
    });
    const found = list?.items.find((b) => b.deploymentId === props.deployment);
    if (!found) return {};
    return { id, props: compact({ ...props, createdAt: found.createdAt }) };
  },
  async delete(_id, props) {
    await clientFor(props).find({ method: "DELETE", path: path(props) });
  },
};
