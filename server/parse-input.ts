import type { z } from "zod";
import { fieldIssues } from "@keyplane/api";
import { ApiError } from "./api-error";

/** A request's body or query checked against its route's schema; 400 naming every bad field. */
export function parseOrThrow(schema: z.ZodType | undefined, value: unknown, where: "body" | "query") {
  if (!schema) return value;
  const parsed = schema.safeParse(value ?? (where === "query" ? {} : undefined));
  if (!parsed.success) {
    throw new ApiError(
      "invalid_request",
      `invalid ${where}: ${parsed.error.issues.map((i) => [where === "query" ? "query" : "", ...i.path].filter(Boolean).join(".") || where).join(", ")}`,
      fieldIssues(parsed.error, where === "query" ? "query" : ""),
    );
  }
  return parsed.data;
}
