import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider object Pulumi serializes into state for every resource. It captures
 * only the kind's name and loads the implementation by package name when called,
 * so state stays small, holds no credential, and an upgraded keyplane package takes
 * effect on the next refresh or delete too.
 */
export function providerShim(kind: "project" | "deployment" | "api-key" | "binding" | "secret"): pulumi.dynamic.ResourceProvider {
  const modulePath = "keyplane/provider/resources/" + kind;
  return {
    check: (olds, news) => require(modulePath).provider.check(olds, news),
    diff: (id, olds, news) => require(modulePath).provider.diff(id, olds, news),
    create: (inputs) => require(modulePath).provider.create(inputs),
    read: (id, props) => require(modulePath).provider.read(id, props),
    update: (id, olds, news) => require(modulePath).provider.update(id, olds, news),
    delete: (id, props) => require(modulePath).provider.delete(id, props),
  };
}
