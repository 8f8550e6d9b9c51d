import type * as pulumi from "@pulumi/pulumi";

export type Kind = "project" | "deployment" | "api-key" | "binding" | "secret";

/**
 * A kind's provider as Pulumi stores it in state. Each kind's object is the whole export of a
 * module of this package (`provider/shims/<kind>`), and Pulumi's closure serializer writes a
 * module export that lives in node_modules as `require("<package>/<subpath>")`: the serialized
 * provider is that one call, and no code or credential. Every method loads the implementation
 * (`keyplane/provider/resources/<kind>`) at its first call, in the provider process, so the
 * program never loads it and an upgraded package takes effect on refresh and delete too.
 */
export function lazyProvider(kind: Kind): pulumi.dynamic.ResourceProvider {
  // By name, not a relative path: a keyplane outside node_modules (npm link) is serialized by value.
  const impl = (): Required<pulumi.dynamic.ResourceProvider> => require(`keyplane/provider/resources/${kind}`).provider;
  return {
    // The engine hands the stack config (keyplane:endpoint, keyplane:token) to configure: the
    // only way a credential reaches the provider besides the environment.
    configure: (req) => impl().configure(req),
    check: (olds, news) => impl().check(olds, news),
    diff: (id, olds, news) => impl().diff(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read(id, props),
    update: (id, olds, news) => impl().update(id, olds, news),
    delete: (id, props) => impl().delete(id, props),
  };
}
