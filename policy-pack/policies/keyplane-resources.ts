import { parseDuration } from "@keyplane/api";
import type { Unwrap } from "@pulumi/pulumi";
import type * as keyplane from "keyplane";

// Policies read a resource's properties lazily and in the order that decides the verdict:
// during preview @pulumi/policy throws on a value that is not known yet, which the engine
// reports as "can't run during preview", and `pulumi up` runs the policy again once it is.
// Reading only what the verdict needs keeps a certain violation from hiding behind an
// unknown that does not matter to it.

/** A string property, or undefined when it is absent or not a string. */
export function str(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  return typeof v === "string" ? v : undefined;
}

/** Seconds of a duration setting, failing loudly on a bad one (a config error, not a violation). */
export function configSeconds(value: string, setting: string): number {
  const s = parseDuration(value);
  if (s === undefined) throw new Error(`policy config ${setting}: "${value}" is not a duration such as 90d or 12h`);
  return s;
}

/** An ApiKey's inputs as policies see them (the typed helpers' view of keyplane.ApiKey). */
export type KeyProps = Partial<Unwrap<keyplane.ApiKeyArgs>>;

export { parseDuration };
