import * as pulumi from "@pulumi/pulumi";

/**
 * The provider object Pulumi serializes into state for every resource. It captures
 * only the kind's name and loads the implementation by package name when called,
 * so state stays small, holds no credential, and an upgraded keyplane package takes
 * effect on the next refresh or delete too.
 */
type Kind = "project" | "deployment" | "api-key" | "binding" | "secret";

// One shim object per kind: Pulumi caches a provider's serialization by object, so a stack of
// hundreds of keys serializes the ApiKey shim once, not once per key.
const shims = new Map<Kind, pulumi.dynamic.ResourceProvider>();

function providerShim(kind: Kind): pulumi.dynamic.ResourceProvider {
  let shim = shims.get(kind);
  if (!shim) {
    shim = makeShim(kind);
    shims.set(kind, shim);
  }
  return shim;
}

function makeShim(kind: Kind): pulumi.dynamic.ResourceProvider {
  // Every method goes through one small function, so the serialized text stays short.
  const call = (method: string, args: unknown[]) => require(`keyplane/provider/resources/${kind}`).provider[method](...args);
  return {
    // The engine hands the stack config (keyplane:endpoint, keyplane:token) to configure: the
    // only way a credential reaches the provider besides the environment.
    configure: (...a) => call("configure", a),
    check: (...a) => call("check", a),
    diff: (...a) => call("diff", a),
    create: (...a) => call("create", a),
    read: (...a) => call("read", a),
    update: (...a) => call("update", a),
    delete: (...a) => call("delete", a),
  };
}

/**
 * The arguments every keyplane resource passes to pulumi.dynamic.Resource: its kind's shim,
 * its inputs plus `managedBy` (`pulumi:<stack>:<urn>`: the server's record of which stack owns
 * the object, and what makes a create repeated after a killed run replay the first one).
 */
export function dynamicArgs(kind: Kind, type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
  const urn = pulumi.createUrn(name, type, opts?.parent);
  return [providerShim(kind), name, { ...props, managedBy: pulumi.interpolate`pulumi:${pulumi.getStack()}:${urn}` }, opts] as const;
}
