import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";

// The engine's placeholder for values not known until apply (preview of new resources).
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function containsUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

/** zod validation as Pulumi check failures, one per bad field; fields not yet known are not judged. */
export function checkInputs(schema: z.ZodType, news: Record<string, unknown>): pulumi.dynamic.CheckResult {
  const clean = Object.fromEntries(
    Object.entries(news).filter(([k, v]) => v !== undefined && !k.startsWith("__provider")),
  );
  const parsed = schema.safeParse(clean);
  if (parsed.success) return { inputs: news };
  const failures = parsed.error.issues
    .filter((issue) => {
      const top = issue.path[0];
      return top === undefined || !containsUnknown(clean[String(top)]);
    })
    .map((issue) => ({ property: issue.path.map(String).join(".") || "(inputs)", reason: issue.message }));
  return failures.length ? { inputs: news, failures } : { inputs: news };
}

/** Which of `fields` differ between the old state and the new inputs (JSON equality; unknown counts as changed). */
export function changedFields<F extends string>(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  fields: readonly F[],
): F[] {
  return fields.filter((f) => JSON.stringify(olds[f] ?? null) !== JSON.stringify(news[f] ?? null));
}

/** Outputs without undefined members: the engine's wire format has no undefined. */
export function compact<T extends Record<string, unknown>>(outs: T): T {
  return Object.fromEntries(Object.entries(outs).filter(([, v]) => v !== undefined)) as T;
}
