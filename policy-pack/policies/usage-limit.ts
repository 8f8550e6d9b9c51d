import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import type { KeyProps } from "./keyplane-resources";

export interface UsageLimitConfig {
  labelKey: string;
  labelValue: string;
}

export function checkUsageLimit(key: KeyProps, name: string, config: UsageLimitConfig): string[] {
  if (key.labels?.[config.labelKey] !== config.labelValue) return [];
  if (typeof key.numUses === "number" && key.numUses > 0) return [];
  return [
    `ApiKey ${name} is labelled ${config.labelKey}: ${config.labelValue} but has no usage limit. Set numUses to the calls it needs (> 0).`,
  ];
}

export const usageLimitForLabelledKeys: ResourceValidationPolicy = {
  name: "keyplane-usage-limit-for-labelled-keys",
  description: "Keys with the configured label (default purpose: ci) set numUses > 0.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { labelKey: { type: "string", default: "purpose" }, labelValue: { type: "string", default: "ci" } },
  },
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkUsageLimit(key, args.name, args.getConfig<UsageLimitConfig>())) report(m);
  }),
};
