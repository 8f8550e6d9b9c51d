// What the policy tests share: the engine's view of a policy run (config defaults, typed
// helpers, unknown values at preview) without the pack's gRPC server, and the stack the
// binding policies judge.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as keyplane from "keyplane";

/** The clock of the pure-function tests. */
export const NOW = Date.parse("2026-01-01T00:00:00Z");

// @pulumi/policy's own proxy, as the engine hands props to policies: reading a value not
// known at preview throws its UnknownValueError.
export const { unknownCheckingProxy, unknownStringValue, unknownBooleanValue } = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy: <T extends object>(o: T) => T;
  unknownStringValue: string;
  unknownBooleanValue: boolean;
};
export const UNKNOWN = () => unknownStringValue as any;

type Kind = { __pulumiType: string };
export const isType = (type: string) => (c: Kind) => c.__pulumiType === type;

/** The config the engine passes: the policy's configSchema defaults, overridden by the given settings. */
export function configOf(policy: ResourceValidationPolicy | StackValidationPolicy, config: object) {
  const defaults = Object.fromEntries(
    Object.entries(policy.configSchema?.properties ?? {}).map(([k, v]) => [k, (v as { default?: unknown }).default]),
  );
  return { ...defaults, ...config };
}

/** Runs a resource policy as the engine would (typed helpers and all), without the pack's gRPC server. */
export function runResource(
  policy: ResourceValidationPolicy,
  kind: Kind,
  props: object,
  config: object = {},
  name = "r",
) {
  const violations: string[] = [];
  const args: any = {
    type: kind.__pulumiType,
    props,
    urn: `urn:pulumi:s::p::${kind.__pulumiType}::${name}`,
    name,
    getConfig: () => configOf(policy, config),
    isType: isType(kind.__pulumiType),
  };
  args.notApplicable = (why: string) => {
    throw new Error(`not applicable: ${why}`);
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const v of validations) v(args, (m: string) => violations.push(m));
  return violations;
}
export function runStack(policy: StackValidationPolicy, resources: PolicyResource[], config: object = {}) {
  const violations: { message: string; urn?: string }[] = [];
  policy.validateStack!({ resources, getConfig: () => configOf(policy, config) } as any, (message, urn) =>
    violations.push({ message, urn }),
  );
  return violations;
}
export const res = (
  kind: Kind,
  name: string,
  props: Record<string, unknown>,
  propertyDependencies: Record<string, PolicyResource[]> = {},
): PolicyResource =>
  ({
    type: kind.__pulumiType,
    name,
    urn: `urn:pulumi:s::p::${kind.__pulumiType}::${name}`,
    props,
    propertyDependencies,
    dependencies: Object.values(propertyDependencies).flat(),
    isType: isType(kind.__pulumiType),
  }) as any;

/** Two projects; keys bound, unbound and project-scoped; a binding within the project and one across. */
export function bindingStack() {
  const p1 = res(keyplane.Project, "p1", { id: "prj_1" });
  const p2 = res(keyplane.Project, "p2", { id: "prj_2" });
  const bound = res(keyplane.ApiKey, "bound", { name: "bound" }, { project: [p1] });
  const lonely = res(keyplane.ApiKey, "lonely", { name: "lonely" }, { project: [p1] });
  const admin = res(keyplane.ApiKey, "admin", { scope: "project" }, { project: [p1] });
  const d1 = res(keyplane.Deployment, "d1", {}, { project: [p1] });
  const d2 = res(keyplane.Deployment, "d2", {}, { project: [p2] });
  const ok = res(keyplane.DeploymentBinding, "ok", {}, { project: [p1], apiKey: [bound], deployment: [d1] });
  const cross = res(keyplane.DeploymentBinding, "cross", {}, { project: [p1], apiKey: [bound], deployment: [d2] });
  return { bound, lonely, cross, all: [p1, p2, bound, lonely, admin, d1, d2, ok, cross] };
}
