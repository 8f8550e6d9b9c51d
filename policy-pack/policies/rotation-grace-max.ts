import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSeconds, keyName, parseDuration, str, TYPE } from "./keyplane-resources";

export interface RotationGraceMaxConfig {
  maxGracePeriod: string;
}
export const rotationGraceMaxDefaults: RotationGraceMaxConfig = { maxGracePeriod: "24h" };

/** Violation messages for one key: a replaced or destroyed key may outlive its replacement by at most maxGracePeriod. */
export function checkRotationGrace(props: Record<string, unknown>, name: string, config: RotationGraceMaxConfig): string[] {
  const max = configSeconds(config.maxGracePeriod, "maxGracePeriod");
  const grace = str(props, "rotationGracePeriod");
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
  configSchema: { properties: { maxGracePeriod: { type: "string", default: rotationGraceMaxDefaults.maxGracePeriod, description: "Longest allowed rotation grace, e.g. 24h" } } },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkRotationGrace(args.props, keyName(args.props, args.name), { ...rotationGraceMaxDefaults, ...args.getConfig<Partial<RotationGraceMaxConfig>>() }))
      report(m);
  },
};
