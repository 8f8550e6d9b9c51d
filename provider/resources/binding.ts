import { type Binding, schemas } from "@keyplane/api";
import { compact } from "../check";
import { BindingInputs } from "../inputs";
import { type Props, resourceKind } from "../resource-kind";

// A binding has no id of its own: it is the pair, made and removed by idempotent PUT/DELETE.
type BindingObject = Binding & { id: string };
const keyPath = (p: Props) => `/v1/projects/${p.project}/api-keys/${p.apiKey}/deployments`;
const withId = (b: Binding): BindingObject => ({ ...b, id: `${b.apiKeyId}/${b.deploymentId}` });

export const provider = resourceKind<BindingObject>({
  inputs: BindingInputs,
  path: (props) => `${keyPath(props)}/${props.deployment}`,
  response: schemas.Binding,
  replaceOn: ["project", "apiKey", "deployment"],
  // The server keeps no managedBy for a binding (a PUT of the pair is idempotent by itself).
  updateOn: [],
  createBody: () => ({}),
  outputs: (inputs, b) => compact({ ...inputs, createdAt: b.createdAt }),
  async create(client, inputs, _post) {
    const b = withId(await client.call<Binding>({ method: "PUT", path: `${keyPath(inputs)}/${inputs.deployment}`, response: schemas.Binding }));
    return { id: b.id, outs: compact({ ...inputs, createdAt: b.createdAt }) };
  },
  async find(client, _id, props) {
    const list = await client.find<{ items: Binding[] }>({ method: "GET", path: keyPath(props), response: schemas.listOf(schemas.Binding) });
    const found = list?.items.find((b) => b.deploymentId === props.deployment);
    return found && withId(found);
  },
  // Nothing updates in place: an update only rewrites the state an earlier release wrote.
  async update(client, id, _olds, news) {
    const found = await this.find!(client, id, news);
    if (!found) throw new Error(`keyplane: binding ${id} is gone; run pulumi refresh`);
    return found;
  },
});
