import type { ResourceValidationPolicy } from "@pulumi/policy";
import { keyName, parseDuration, str, TYPE } from "./keyplane-resources";

export interface KeyRateLimitConfig {
  maxRequestsPerMinute: number;
}
export const keyRateLimitDefaults: KeyRateLimitConfig = { maxRequestsPerMinute: 600 };

/** Violation messages for one key (empty: compliant, not an inference key, or not known yet). */
export function checkKeyRateLimit(props: Record<string, unknown>, name: string, config: KeyRateLimitConfig): string[] {
  if (props.scope !== undefined && str(props, "scope") !== "inference") return [];
  const max = config.maxRequestsPerMinute;
  if (!(typeof max === "number" && max > 0)) throw new Error(`policy config maxRequestsPerMinute: ${JSON.stringify(max)} is not a positive number`);
  const fix = `Set rateLimit: { limit: ${max}, window: "1m" } or lower.`;
  const rate = props.rateLimit as { limit?: unknown; window?: unknown } | undefined | null;
  if (rate === undefined || rate === null) return [`Inference ApiKey ${name} has no rateLimit; inference keys may make at most ${max} calls a minute. ${fix}`];
  if (typeof rate !== "object" || typeof rate.limit !== "number" || typeof rate.window !== "string") return []; // not known yet
  const windowSeconds = parseDuration(rate.window);
  if (!windowSeconds) return []; // malformed: the provider's check reports it
  const perMinute = (rate.limit * 60) / windowSeconds;
  if (perMinute <= max) return [];
  return [`Inference ApiKey ${name} allows ${rate.limit} calls per ${rate.window} (${Math.round(perMinute)} a minute); at most ${max} a minute. ${fix}`];
}

export const keyRateLimit: ResourceValidationPolicy = {
  name: "keyplane-key-rate-limit",
  description: "Inference API keys set a rateLimit of at most maxRequestsPerMinute (default 600).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      maxRequestsPerMinute: { type: "number", default: keyRateLimitDefaults.maxRequestsPerMinute, description: "Most calls a minute an inference key may be allowed" },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== TYPE.ApiKey) return;
    for (const m of checkKeyRateLimit(args.props, keyName(args.props, args.name), { ...keyRateLimitDefaults, ...args.getConfig<Partial<KeyRateLimitConfig>>() })) report(m);
  },
};
