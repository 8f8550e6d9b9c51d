import { type Binding, schemas } from "@keyplane/api";
import type { z } from "zod";
import { compact } from "../check";
import type { KeyplaneClient } from "../client";
import { BindingInputs } from "../inputs";
import { resourceKind } from "../resource-kind";

type Inputs = z.input<typeof BindingInputs>;
// A binding has no id of its own: it is the pair, made and removed by idempotent PUT/DELETE.
type BindingObject = Binding & { id: string };
const keyPath = (p: Inputs) => `/v1/projects/${p.project}/api-keys/${p.apiKey}/deployments`;
const withId = (b: Binding): BindingObject => ({ ...b, id: `${b.apiKeyId}/${b.deploymentId}` });
const outputs = (inputs: Inputs, b: BindingObject) => compact({ ...inputs, createdAt: b.createdAt });

async function find(client: KeyplaneClient, props: Inputs) {
  const list = await client.find<{ items: Binding[] }>({
    method: "GET",
    path: keyPath(props),
    response: schemas.listOf(schemas.Binding),
  });
  const found = list?.items.find((b) => b.deploymentId === props.deployment);
  return found && withId(found);
}

export const provider = resourceKind({
  inputs: BindingInputs,
  path: (props) => `${keyPath(props)}/${props.deployment}`,
  response: schemas.Binding,
  replaceOn: ["project", "apiKey", "deployment"],
  // The server keeps no managedBy for a binding (a PUT of the pair is idempotent by itself).
  updateOn: [],
  createBody: () => ({}),
  outputs,
  inputsInState: ({ createdAt: _c, ...inputs }) => inputs,
  async create(client, inputs, _post) {
    const b = withId(
      await client.call<Binding>({
        method: "PUT",
        path: `${keyPath(inputs)}/${inputs.deployment}`,
        response: schemas.Binding,
      }),
    );
    return { id: b.id, outs: outputs(inputs, b) };
  },
  find: (client, _id, props) => find(client, props),
  // Nothing updates in place: an update only rewrites the state an earlier release wrote.
  async update(client, id, _olds, news) {
    const found = await find(client, news);
    if (!found) throw new Error(`keyplane: binding ${id} is gone; run pulumi refresh`);
    return found;
  },
});
