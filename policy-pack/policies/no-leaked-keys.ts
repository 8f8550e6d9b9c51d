import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import * as keyplane from "keyplane";

// What @pulumi/policy throws when a value is not known yet (exported, but not in its types).
const { UnknownValueError } = require("@pulumi/policy") as { UnknownValueError: new (...args: never[]) => Error };

/**
 * Keys the stack still holds that were reported leaked (their `leaked` output, as refresh last
 * saw it). A key being replaced has unknown outputs at preview: it is on its way out, not kept.
 */
export function checkNoLeakedKeys(resources: PolicyResource[]): { message: string; urn: string }[] {
  const out: { message: string; urn: string }[] = [];
  for (const key of resources.filter((r) => r.isType(keyplane.ApiKey))) {
    let leaked: unknown;
    try {
      leaked = key.props.leaked;
    } catch (e) {
      if (e instanceof UnknownValueError) continue; // not known yet: a replacement is under way
      throw e;
    }
    if (leaked !== true) continue;
    const at = typeof key.props.leakedAt === "string" ? ` at ${key.props.leakedAt}` : "";
    out.push({
      urn: key.urn,
      message: `ApiKey ${key.name} was reported leaked${at} and is refused by the gateway. Run \`pulumi up --refresh\` so keyplane replaces it with a new key.`,
    });
  }
  return out;
}

export const noLeakedKeys: StackValidationPolicy = {
  name: "keyplane-no-leaked-keys",
  description: "No API key in the stack was reported leaked: a leaked key must be replaced.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const v of checkNoLeakedKeys(args.resources)) report(v.message, v.urn);
  },
};
