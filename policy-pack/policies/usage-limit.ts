import type { ResourceValidationPolicy } from "@pulumi/policy";
import { keyName, TYPE } from "./keyplane-resources";

export interface UsageLimitConfig {
  labelKey: string;
  labelValue: string;
}
export const usageLimitDefaults: UsageLimitConfig = { labelKey: "purpose", labelValue: "ci" };

export function checkUsageLimit(props: Record<string, unknown>, name: string, config: UsageLimitConfig): string[] {
  const labels = props.labels;
  if (!labels || typeof labels !== "object" || (labels as Record<string, unknown>)[config.labelKey] !== config.labelValue) return [];
  if (typeof props.numUses === "number" && props.numUses > 0) return [];
  if (props.numUses !== undefined && typeof props.numUses !== "number") return []; // not known yet
  return [`ApiKey ${name} is labelled ${config.labelKey}: ${config.labelValue} but has no usage limit. Set numUses to the calls it needs (> 0).`];
}

export const usageLimitForLabelledKeys: ResourceValidationPolicy = {
  name: "keyplane-usage-limit-for-labelled-keys",
  description: "Keys with the configured label (default purpose: ci) set numUses > 0.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { labelKey: { type: "string", default: "purpose" }, labelValue: { type: "string", default: "ci" } } },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkUsageLimit(args.props, keyName(args.props, args.name), { ...usageLimitDefaults, ...args.getConfig<Partial<UsageLimitConfig>>() })) report(m);
  },
};
