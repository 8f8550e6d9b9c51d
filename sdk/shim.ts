import * as pulumi from "@pulumi/pulumi";
import type { Kind } from "../provider/lazy";

import apiKey = require("../provider/shims/api-key");
import binding = require("../provider/shims/binding");
import deployment = require("../provider/shims/deployment");
import project = require("../provider/shims/project");
import secret = require("../provider/shims/secret");

/**
 * The provider object Pulumi serializes into state for every resource: one per kind, each the
 * whole export of its module, which Pulumi stores as a `require` of that module (see
 * provider/lazy.ts). `import … = require` keeps the module's own export object, which an
 * `import * as` wrapper would not be.
 */
const shims: Record<Kind, pulumi.dynamic.ResourceProvider> = {
  project,
  deployment,
  "api-key": apiKey,
  binding,
  secret,
};

/** Kinds whose server object records the stack that manages it. */
const MANAGED: ReadonlySet<Kind> = new Set(["project", "deployment", "api-key", "secret"]);

/**
 * The arguments every keyplane resource passes to pulumi.dynamic.Resource: its kind's shim,
 * its inputs plus, but for a binding (an idempotent PUT of a pair the server keeps no owner for),
 * `managedBy` (`pulumi:<stack>:<urn>`: the server's record of which stack owns the object, and
 * what makes a create repeated after a killed run replay the first one).
 */
export function dynamicArgs(
  kind: Kind,
  type: string,
  name: string,
  props: pulumi.Inputs,
  opts?: pulumi.CustomResourceOptions,
) {
  const urn = pulumi.createUrn(name, typeToken(type), opts?.parent);
  const managedBy = MANAGED.has(kind) ? { managedBy: pulumi.interpolate`pulumi:${pulumi.getStack()}:${urn}` } : {};
  return [shims[kind], name, { ...props, ...managedBy } as pulumi.Inputs, opts, "keyplane", type] as const;
}

/** A keyplane resource's type token, as pulumi.dynamic.Resource makes it from its module and type. */
export const typeToken = (type: string) => `pulumi-nodejs:dynamic/keyplane:${type}`;
