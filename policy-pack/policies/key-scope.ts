import type { ResourceValidationPolicy } from "@pulumi/policy";
import { keyName, str, TYPE } from "./keyplane-resources";

export interface ScopeConfig {
  allowedProjectScopeKeys: string[];
}
export const scopeDefaults: ScopeConfig = { allowedProjectScopeKeys: [] };

export function checkProjectScope(props: Record<string, unknown>, name: string, config: ScopeConfig): string[] {
  if (str(props, "scope") !== "project") return [];
  if (config.allowedProjectScopeKeys.includes(name)) return [];
  return [
    `ApiKey ${name} has scope "project" (it can manage keys, secrets and deployments). Use scope "inference", or add "${name}" to allowedProjectScopeKeys (now: ${JSON.stringify(config.allowedProjectScopeKeys)}).`,
  ];
}

export function checkAllDeployments(props: Record<string, unknown>, name: string): string[] {
  if (str(props, "deploymentAccess") !== "all") return [];
  return [`ApiKey ${name} has deploymentAccess "all". Use "bound" (the default) and bind it to the deployments it needs with DeploymentBinding.`];
}

export const keyLeastPrivilegeScope: ResourceValidationPolicy = {
  name: "keyplane-key-least-privilege-scope",
  description: 'Only keys named in allowedProjectScopeKeys may have scope "project".',
  enforcementLevel: "mandatory",
  configSchema: { properties: { allowedProjectScopeKeys: { type: "array", items: { type: "string" }, default: [] } } },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkProjectScope(args.props, keyName(args.props, args.name), { ...scopeDefaults, ...args.getConfig<Partial<ScopeConfig>>() })) report(m);
  },
};

export const keyNoAllDeployments: ResourceValidationPolicy = {
  name: "keyplane-key-no-all-deployments",
  description: 'API keys do not use deploymentAccess "all"; they are bound to the deployments they call.',
  enforcementLevel: "mandatory",
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkAllDeployments(args.props, keyName(args.props, args.name))) report(m);
  },
};
