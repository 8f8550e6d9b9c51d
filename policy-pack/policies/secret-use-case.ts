import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import * as keyplane from "keyplane";
import { str } from "./keyplane-resources";

// Keys that give a generic secret away as a known use case, whose shape would be checked.
const HINTS: [string, RegExp][] = [
  ["s3", /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY)$/i],
  ["huggingface", /^(HF_TOKEN|HUGGING_FACE_HUB_TOKEN|HUGGINGFACE_TOKEN)$/i],
  ["image-pull", /^\.?dockerconfigjson$/i],
];

export function checkSecretUseCase(props: Record<string, unknown>, name: string): string[] {
  if (str(props, "useCase") !== "generic") return [];
  const value = props.value as { data?: Record<string, unknown> } | undefined;
  const data = value && typeof value === "object" ? value.data : undefined;
  if (!data || typeof data !== "object") return [];
  const out: string[] = [];
  for (const [useCase, re] of HINTS) {
    const keys = Object.keys(data).filter((k) => re.test(k));
    if (keys.length)
      out.push(
        `Secret ${name} is generic but holds ${keys.join(", ")}: use useCase "${useCase}" so its shape is checked and it maps to the conventional Kubernetes secret.`,
      );
  }
  return out;
}

export const secretUseCase: ResourceValidationPolicy = {
  name: "keyplane-secret-use-case",
  description:
    "A generic secret whose keys look like a known use case (AWS_ACCESS_KEY_ID, HF_TOKEN, .dockerconfigjson) should use that use case.",
  enforcementLevel: "advisory",
  validateResource: validateResourceOfType(keyplane.Secret, (secret, args, report) => {
    for (const m of checkSecretUseCase(secret as Record<string, unknown>, args.name)) report(m);
  }),
};
