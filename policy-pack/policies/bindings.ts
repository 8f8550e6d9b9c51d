import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";
import * as keyplane from "keyplane";
import { str } from "./keyplane-resources";

export interface BindingConfig {
  maxBindingsPerKey: number;
}

type Kind = new (...rest: any[]) => Resource;

/** The resource a property of `r` came from: by dependency when known, else by matching id. */
function source(
  r: PolicyResource,
  prop: string,
  all: PolicyResource[],
  kind: Kind,
  idProps: string[],
): PolicyResource | undefined {
  const dep = r.propertyDependencies?.[prop]?.find((d) => d.isType(kind));
  if (dep) return dep;
  const value = str(r.props, prop);
  if (value === undefined) return undefined;
  return all.find(
    (x) =>
      x.isType(kind) &&
      idProps.some((p) => (p === "id" ? ((x.props as any).id ?? x.props.keyId) : x.props[p]) === value),
  );
}

/** Stable identity of the project a resource belongs to: the Project resource's URN, else the literal id. */
function projectOf(r: PolicyResource, all: PolicyResource[]): string | undefined {
  const p = r.propertyDependencies?.project?.find((d) => d.isType(keyplane.Project));
  if (p) return p.urn;
  const id = str(r.props, "project");
  if (id === undefined) return undefined;
  const byId = all.find((x) => x.isType(keyplane.Project) && (x.props as any).id === id);
  return byId ? byId.urn : id;
}

export function checkKeysBound(resources: PolicyResource[], config: BindingConfig): { message: string; urn: string }[] {
  const keys = resources.filter((r) => r.isType(keyplane.ApiKey));
  const bindings = resources.filter((r) => r.isType(keyplane.DeploymentBinding));
  // Each binding's key found once, not once per key: a stack of hundreds of keys stays linear.
  const perKey = new Map<string, number>();
  for (const b of bindings) {
    const urn = source(b, "apiKey", resources, keyplane.ApiKey, ["keyId", "id"])?.urn;
    if (urn) perKey.set(urn, (perKey.get(urn) ?? 0) + 1);
  }
  const out: { message: string; urn: string }[] = [];
  for (const key of keys) {
    // Project-scope keys and "all" keys reach deployments without bindings; other policies judge those.
    if (str(key.props, "scope") === "project" || str(key.props, "deploymentAccess") === "all") continue;
    const count = perKey.get(key.urn) ?? 0;
    const name = key.name;
    if (count === 0)
      out.push({
        urn: key.urn,
        message: `ApiKey ${name} has no DeploymentBinding in this stack, so it can call nothing. Bind it to the deployments it needs, or remove it.`,
      });
    else if (count > config.maxBindingsPerKey)
      out.push({
        urn: key.urn,
        message: `ApiKey ${name} is bound to ${count} deployments; at most ${config.maxBindingsPerKey} are allowed. Split it into narrower keys.`,
      });
  }
  return out;
}

export function checkBindingsSameProject(resources: PolicyResource[]): { message: string; urn: string }[] {
  const out: { message: string; urn: string }[] = [];
  for (const b of resources.filter((r) => r.isType(keyplane.DeploymentBinding))) {
    const key = source(b, "apiKey", resources, keyplane.ApiKey, ["keyId", "id"]);
    const dep = source(b, "deployment", resources, keyplane.Deployment, ["id"]);
    const own = projectOf(b, resources);
    const keyProject = key && projectOf(key, resources);
    const depProject = dep && projectOf(dep, resources);
    const known = [own, keyProject, depProject].filter((p): p is string => p !== undefined);
    if (new Set(known).size > 1) {
      out.push({
        urn: b.urn,
        message: `DeploymentBinding ${b.name} joins ${key ? `key ${key.name}` : "a key"} and ${dep ? `deployment ${dep.name}` : "a deployment"} from different projects; keys can only be bound within their own project.`,
      });
    }
  }
  return out;
}

export const keyMustBeBound: StackValidationPolicy = {
  name: "keyplane-key-must-be-bound",
  description:
    "Each inference key has at least one DeploymentBinding in the stack and at most maxBindingsPerKey (default 10).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxBindingsPerKey: { type: "integer", default: 10, minimum: 1 } } },
  validateStack: (args, report) => {
    for (const v of checkKeysBound(args.resources, args.getConfig<BindingConfig>())) report(v.message, v.urn);
  },
};

export const bindingSameProject: StackValidationPolicy = {
  name: "keyplane-binding-same-project",
  description: "A binding's key and deployment belong to the same project.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const v of checkBindingsSameProject(args.resources)) report(v.message, v.urn);
  },
};
