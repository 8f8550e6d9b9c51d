import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSeconds, keyName, parseDuration, str, TYPE } from "./keyplane-resources";

export interface RenewableConfig {
  maxExplicitTtl: string;
}
export const renewableDefaults: RenewableConfig = { maxExplicitTtl: "365d" };

export function checkRenewableKey(props: Record<string, unknown>, name: string, config: RenewableConfig): string[] {
  if (props.renewable !== true) return [];
  const max = configSeconds(config.maxExplicitTtl, "maxExplicitTtl");
  if (props.explicitMaxTtl === undefined || props.explicitMaxTtl === null) {
    return [`ApiKey ${name} is renewable without explicitMaxTtl, so renewals could keep it alive forever. Set explicitMaxTtl to ${config.maxExplicitTtl} or shorter.`];
  }
  const text = str(props, "explicitMaxTtl");
  const s = text === undefined ? undefined : parseDuration(text);
  if (s === undefined) return [];
  if (s === 0 || s > max) return [`ApiKey ${name} has explicitMaxTtl ${text}; renewable keys may reach at most ${config.maxExplicitTtl}. Lower explicitMaxTtl.`];
  return [];
}

export const renewableKeyMaxLifetime: ResourceValidationPolicy = {
  name: "keyplane-renewable-key-max-lifetime",
  description: "Renewable API keys set explicitMaxTtl, at most maxExplicitTtl (default 365d).",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxExplicitTtl: { type: "string", default: renewableDefaults.maxExplicitTtl } } },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkRenewableKey(args.props, keyName(args.props, args.name), { ...renewableDefaults, ...args.getConfig<Partial<RenewableConfig>>() })) report(m);
  },
};
