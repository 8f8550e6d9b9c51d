import type { z } from "zod";
import { fieldIssues } from "@keyplane/api";
import { ApiError } from "./api-error";

/** A request's body or query checked against its route's schema: the data, or a 400 naming every bad field. */
export function parseInput(schema: z.ZodType | undefined, value: unknown, where: "body" | "query"): { ok: true; data: any } | { ok: false; error: ApiError } {
  if (!schema) return { ok: true, data: value };
  const parsed = schema.safeParse(value ?? (where === "query" ? {} : undefined));
  if (parsed.success) return { ok: true, data: parsed.data };
  return {
    ok: false,
    error: new ApiError(
      "invalid_request",
      `invalid ${where}: ${parsed.error.issues.map((i) => [where === "query" ? "query" : "", ...i.path].filter(Boolean).join(".") || where).join(", ")}`,
      fieldIssues(parsed.error, where === "query" ? "query" : ""),
    ),
  };
}

/** parseInput for handlers that answer refusals by throwing (management). */
export function parseOrThrow(schema: z.ZodType | undefined, value: unknown, where: "body" | "query") {
  const parsed = parseInput(schema, value, where);
  if (!parsed.ok) throw parsed.error;
  return parsed.data;
}
