import { type ResourceValidationPolicy, remediateResourceOfType, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { configSeconds, type KeyProps, parseDuration } from "./keyplane-resources";

export interface KeyMaxTtlConfig {
  maxTtl: string;
}

type LifetimeField = "ttl" | "expiresAt" | "explicitMaxTtl";

/** One field that lets a key live longer than the limit, and what it says now. */
interface Excess {
  field: LifetimeField;
  says: string;
}

/** explicitMaxTtl in seconds: null when absent or "0" (no cap), undefined when malformed (the provider's check reports it). */
function cap(key: KeyProps): number | null | undefined {
  if (key.explicitMaxTtl === undefined || key.explicitMaxTtl === null) return null;
  const s = parseDuration(String(key.explicitMaxTtl));
  return s === 0 ? null : s;
}

/** The first expiry from ttl and expiresAt, in seconds from now (Infinity: never), with the field that sets it. */
function firstExpiry(key: KeyProps, now: number): { seconds: number; field: LifetimeField; says: string } | undefined {
  const at = key.expiresAt;
  if (at !== undefined) {
    const ms = Date.parse(at);
    return Number.isNaN(ms)
      ? undefined
      : { seconds: Math.ceil((ms - now) / 1000), field: "expiresAt", says: `expiresAt ${at}` };
  }
  if (key.ttl === undefined || key.ttl === null) {
    const hint = "numUses" in key ? "; numUses limits calls, not time" : "";
    return { seconds: Infinity, field: "ttl", says: `no ttl or expiresAt, so it never expires${hint}` };
  }
  const s = parseDuration(String(key.ttl));
  if (s === undefined) return undefined;
  return s === 0
    ? { seconds: Infinity, field: "ttl", says: 'ttl "0", so it never expires' }
    : { seconds: s, field: "ttl", says: `ttl ${key.ttl}` };
}

/** Why explicitMaxTtl does not keep the key within the limit. */
function capExcess(key: KeyProps, c: number | null): Excess {
  const says =
    c !== null
      ? `explicitMaxTtl ${key.explicitMaxTtl}`
      : key.explicitMaxTtl === undefined || key.explicitMaxTtl === null
        ? "renewable without explicitMaxTtl, so renewals can keep it alive forever"
        : 'renewable with explicitMaxTtl "0" (no cap), so renewals can keep it alive forever';
  return { field: "explicitMaxTtl", says };
}

/**
 * The field that lets a key outlive `maxTtl` (undefined: compliant, or malformed and left to the
 * provider's check), found reading only the values that decide it. The longest a key can live:
 * a renewable key until explicitMaxTtl (none: renewals never end), any other key until the
 * earliest of ttl/expiresAt/explicitMaxTtl.
 */
function decidingExcess(key: KeyProps, config: KeyMaxTtlConfig, now: number): Excess | undefined {
  const max = configSeconds(config.maxTtl, "maxTtl");
  const c = cap(key);
  if (c === undefined || (c !== null && c <= max)) return undefined; // the cap bounds every expiry and every renewal
  if (key.renewable === true) return capExcess(key, c);
  const first = firstExpiry(key, now);
  return first && first.seconds > max ? firstExcess(first) : undefined;
}

/** Every field that lets a key outlive `maxTtl`, the deciding one first; what the remediation clamps. */
function keyLifetimeExcess(key: KeyProps, config: KeyMaxTtlConfig, now = Date.now()): Excess[] {
  const main = decidingExcess(key, config, now);
  if (!main) return [];
  const max = configSeconds(config.maxTtl, "maxTtl");
  if (main.field === "explicitMaxTtl") {
    // A renewable key: ttl/expiresAt past the limit are clamped too, so its fields agree with its life.
    const first = firstExpiry(key, now);
    return first && first.seconds > max ? [main, firstExcess(first)] : [main];
  }
  const c = cap(key);
  return c === null || c === undefined ? [main] : [main, capExcess(key, c)];
}

const firstExcess = (first: Excess): Excess => ({ field: first.field, says: first.says });

/** Violation messages for one key: which field makes it live too long and what to set. */
export function checkKeyMaxTtl(key: KeyProps, name: string, config: KeyMaxTtlConfig, now = Date.now()): string[] {
  const main = decidingExcess(key, config, now);
  if (!main) return [];
  const latest = () => new Date(now + configSeconds(config.maxTtl, "maxTtl") * 1000).toISOString();
  const set = {
    explicitMaxTtl: `Set explicitMaxTtl: "${config.maxTtl}" or shorter (or renewable: false)`,
    expiresAt: `Set expiresAt no later than ${latest()}, or ttl: "${config.maxTtl}" or shorter`,
    ttl: `Set ttl: "${config.maxTtl}" or shorter`,
  }[main.field];
  return [`ApiKey ${name} can live longer than ${config.maxTtl} (${main.says}). ${set}.`];
}

/** The remediation as a patch: every field that makes the key too long, clamped (expiresAt gives way to ttl). */
export function clampKeyLifetime(
  key: KeyProps,
  config: KeyMaxTtlConfig,
  now = Date.now(),
): Partial<Record<LifetimeField, string | undefined>> | undefined {
  const excess = keyLifetimeExcess(key, config, now);
  if (excess.length === 0) return undefined;
  const patch: Partial<Record<LifetimeField, string | undefined>> = {};
  for (const e of excess) {
    if (e.field === "expiresAt") {
      patch.expiresAt = undefined;
      patch.ttl = config.maxTtl;
    } else patch[e.field] = config.maxTtl;
  }
  return patch;
}

export const keyMaxTtl: ResourceValidationPolicy = {
  name: "keyplane-key-max-ttl",
  description:
    "An API key lives at most maxTtl, renewals included: renewable keys need explicitMaxTtl ≤ maxTtl, others ttl/expiresAt ≤ maxTtl. Remediation clamps them.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      maxTtl: { type: "string", default: "90d", description: "Longest a key may live, renewals included, e.g. 90d" },
    },
  },
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkKeyMaxTtl(key, args.name, args.getConfig<KeyMaxTtlConfig>())) report(m);
  }),
  remediateResource: remediateResourceOfType(keyplane.ApiKey, (key, args) => {
    const patch = clampKeyLifetime(key, args.getConfig<KeyMaxTtlConfig>());
    if (!patch) return undefined;
    // Mutating the engine's props keeps the values this policy never read (unknown ones included).
    for (const field of Object.keys(patch) as LifetimeField[]) {
      const value = patch[field];
      if (value === undefined) delete key[field];
      else key[field] = value;
    }
    return key;
  }),
};
