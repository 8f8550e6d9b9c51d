import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { str } from "./keyplane-resources";

/** Violation messages for one secret: an upstream-capable secret must name the origins it may be sent to, never "*". */
export function checkSecretUpstreamsPinned(props: Record<string, unknown>, name: string): string[] {
  // Only these use cases can be a Deployment's upstreamSecret (the server's rule).
  if (str(props, "useCase") !== "huggingface" && str(props, "useCase") !== "generic") return [];
  const allowed = props.allowedUpstreams;
  if (!Array.isArray(allowed) || !allowed.includes("*")) return [];
  return [
    `Secret ${name} may be sent to any upstream (allowedUpstreams includes "*"): list the origins it is for, e.g. ["https://api-inference.huggingface.co"].`,
  ];
}

export const secretUpstreamsPinned: ResourceValidationPolicy = {
  name: "keyplane-secret-upstreams-pinned",
  description:
    'Secrets a deployment may send upstream (huggingface, generic) list the origins they may go to in allowedUpstreams, never "*".',
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(keyplane.Secret, (secret, args, report) => {
    for (const m of checkSecretUpstreamsPinned(secret as Record<string, unknown>, args.name)) report(m);
  }),
};
