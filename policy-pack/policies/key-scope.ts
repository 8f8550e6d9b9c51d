import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import type { KeyProps } from "./keyplane-resources";

export interface ScopeConfig {
  allowedProjectScopeResources: string[];
}

/** The resource a key is declared as: its Pulumi name (unique in its stack) and URN. */
export interface ResourceId {
  name: string;
  urn: string;
}

/** `*` matches any run of characters, `?` one; the whole text must match. */
function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/** A pattern starting with "urn:" matches the URN, any other the resource name; never the key's display name. */
export function allowedResource(patterns: string[], r: ResourceId): boolean {
  return patterns.some((p) => glob(p).test(p.startsWith("urn:") ? r.urn : r.name));
}

export function checkProjectScope(key: KeyProps, r: ResourceId, config: ScopeConfig): string[] {
  if (key.scope !== "project") return [];
  if (allowedResource(config.allowedProjectScopeResources, r)) return [];
  return [
    `ApiKey ${r.name} has scope "project" (it can manage the project's keys, secrets and deployments). Use scope "inference", or allow the resource in allowedProjectScopeResources by its resource name "${r.name}" or a URN pattern matching ${r.urn}; a key's display name does not count.`,
  ];
}

export function checkAllDeployments(key: KeyProps, name: string): string[] {
  if (key.deploymentAccess !== "all") return [];
  return [
    `ApiKey ${name} has deploymentAccess "all". Use "bound" (the default) and bind it to the deployments it needs with DeploymentBinding.`,
  ];
}

export const keyLeastPrivilegeScope: ResourceValidationPolicy = {
  name: "keyplane-key-least-privilege-scope",
  description:
    'Only the ApiKey resources listed in allowedProjectScopeResources (resource names or URN patterns, * wildcards) may have scope "project".',
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { allowedProjectScopeResources: { type: "array", items: { type: "string" }, default: [] } },
  },
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkProjectScope(key, args, args.getConfig<ScopeConfig>())) report(m);
  }),
};

export const keyNoAllDeployments: ResourceValidationPolicy = {
  name: "keyplane-key-no-all-deployments",
  description: 'API keys do not use deploymentAccess "all"; they are bound to the deployments they call.',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkAllDeployments(key, args.name)) report(m);
  }),
};
