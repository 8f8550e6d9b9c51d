import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { type KeyProps, parseDuration } from "./keyplane-resources";

export interface KeyRateLimitConfig {
  maxRequestsPerMinute: number;
}

/** Violation messages for one key (empty: compliant, not an inference key, or not known yet). */
export function checkKeyRateLimit(key: KeyProps, name: string, config: KeyRateLimitConfig): string[] {
  if ((key.scope ?? "inference") !== "inference") return [];
  const max = config.maxRequestsPerMinute;
  if (!(typeof max === "number" && max > 0))
    throw new Error(`policy config maxRequestsPerMinute: ${JSON.stringify(max)} is not a positive number`);
  const fix = `Set rateLimit: { limit: ${max}, window: "1m" } or lower.`;
  const rate = key.rateLimit as { limit?: unknown; window?: unknown } | undefined | null;
  if (rate === undefined || rate === null)
    return [`Inference ApiKey ${name} has no rateLimit; inference keys may make at most ${max} calls a minute. ${fix}`];
  if (typeof rate.limit !== "number" || typeof rate.window !== "string") return [];
  const windowSeconds = parseDuration(rate.window);
  if (!windowSeconds) return []; // malformed: the provider's check reports it
  const perMinute = (rate.limit * 60) / windowSeconds;
  if (perMinute <= max) return [];
  return [
    `Inference ApiKey ${name} allows ${rate.limit} calls per ${rate.window} (${Math.round(perMinute)} a minute); at most ${max} a minute. ${fix}`,
  ];
}

export const keyRateLimit: ResourceValidationPolicy = {
  name: "keyplane-key-rate-limit",
  description: "Inference API keys set a rateLimit of at most maxRequestsPerMinute (default 600).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      maxRequestsPerMinute: {
        type: "number",
        default: 600,
        description: "Most calls a minute an inference key may be allowed",
      },
    },
  },
  validateResource: validateResourceOfType(keyplane.ApiKey, (key, args, report) => {
    for (const m of checkKeyRateLimit(key, args.name, args.getConfig<KeyRateLimitConfig>())) report(m);
  }),
};
