import type { ResourceValidationPolicy } from "@pulumi/policy";
import { configSeconds, parseDuration, str, TYPE } from "./keyplane-resources";

export interface KeyMaxTtlConfig {
  maxTtl: string;
}
export const keyMaxTtlDefaults: KeyMaxTtlConfig = { maxTtl: "90d" };

/** Seconds until the key expires at the latest (ttl, expiresAt, explicitMaxTtl), Infinity for never, undefined if not known yet. */
export function keyLifetimeSeconds(props: Record<string, unknown>, now = Date.now()): number | undefined {
  const limits: number[] = [];
  for (const key of ["ttl", "explicitMaxTtl"]) {
    if (props[key] === undefined || props[key] === null) continue;
    const text = str(props, key);
    if (text === undefined) return undefined;
    const s = parseDuration(text);
    if (s === undefined) return undefined; // malformed: the provider's check reports it
    if (s > 0) limits.push(s);
  }
  if (props.expiresAt !== undefined && props.expiresAt !== null) {
    const at = str(props, "expiresAt");
    if (at === undefined) return undefined;
    limits.push(Math.ceil((Date.parse(at) - now) / 1000));
  }
  return limits.length ? Math.min(...limits) : Infinity;
}

/** Violation messages for one key (empty: compliant). */
export function checkKeyMaxTtl(props: Record<string, unknown>, name: string, config: KeyMaxTtlConfig, now = Date.now()): string[] {
  const max = configSeconds(config.maxTtl, "maxTtl");
  const lifetime = keyLifetimeSeconds(props, now);
  if (lifetime === undefined) return [];
  if (lifetime === Infinity) return [`ApiKey ${name} never expires; keys may live at most ${config.maxTtl}. Set ttl: "${config.maxTtl}" or shorter.`];
  if (lifetime > max) {
    const what = props.expiresAt !== undefined ? `expiresAt ${String(props.expiresAt)}` : `ttl ${String(props.ttl)}`;
    return [`ApiKey ${name} lives too long (${what}); keys may live at most ${config.maxTtl}. Set ttl to ${config.maxTtl} or shorter.`];
  }
  return [];
}

/** The remediation: clamp the key's lifetime to the maximum, leaving compliant keys alone. */
export function clampKeyTtl(props: Record<string, unknown>, config: KeyMaxTtlConfig, now = Date.now()): Record<string, unknown> | undefined {
  if (checkKeyMaxTtl(props, "", config, now).length === 0) return undefined;
  const { expiresAt: _drop, ...rest } = props;
  return { ...rest, ttl: config.maxTtl };
}

export const keyMaxTtl: ResourceValidationPolicy = {
  name: "keyplane-key-max-ttl",
  description: "API keys expire within maxTtl (default 90d); never-expiring keys are violations. Remediation clamps ttl.",
  enforcementLevel: "mandatory",
  configSchema: { properties: { maxTtl: { type: "string", default: keyMaxTtlDefaults.maxTtl, description: "Longest allowed key lifetime, e.g. 90d" } } },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkKeyMaxTtl(args.props, args.props.name ?? args.name, { ...keyMaxTtlDefaults, ...args.getConfig<Partial<KeyMaxTtlConfig>>() })) report(m);
  },
  remediateResource: (args) => {
    if (args.type !== TYPE.ApiKey) return undefined;
    return clampKeyTtl(args.props, { ...keyMaxTtlDefaults, ...args.getConfig<Partial<KeyMaxTtlConfig>>() });
  },
};
