import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { configSeconds, type KeyProps, parseDuration } from "./keyplane-resources";

export interface RotationGraceMaxConfig {
  maxGracePeriod: string;
}

/** Violation messages for one key: a replaced or destroyed key may outlive its replacement by at most maxGracePeriod. */
export function checkRotationGrace(key: KeyProps, name: string, config: RotationGraceMaxConfig): string[] {
  const max = configSeconds(config.maxGracePeriod, "maxGracePeriod");
  const grace = typeof key.rotationGracePeriod === "string" ? key.rotationGracePeriod : undefined;
  if (grace === undefined) return [];
  const seconds = parseDuration(grace);
  if (seconds === undefined || seconds <= max) return [];
  return [
    `ApiKey ${name} has rotationGracePeriod ${grace}; a replaced key may keep working at most ${config.maxGracePeriod}. Set rotationGracePeriod to ${config.maxGracePeriod} or shorter.`,
  ];
}

export const rotationGraceMax: ResourceValidationPolicy = {
  name: "keyplane-rotation-grace-max",
  description: "API keys' rotationGracePeriod is at most maxGracePeriod (default 24h).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxGracePeriod: { type: "string", default: "24h", description: "Longest allowed rotation grace, e.g. 24h" },
    },
  },
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkRotationGrace(key, args.name, args.getConfig<RotationGraceMaxConfig>())) report(m);
  }),
};
