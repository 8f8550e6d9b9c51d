import { fieldIssues } from "@keyplane/api";
import type { z } from "zod";
import { ApiError } from "./errors";

/** A request's body or query checked against its route's schema: the data, or a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(
  schema: S | undefined,
  value: unknown,
  where: "body" | "query",
): { ok: true; data: z.output<S> } | { ok: false; error: ApiError } {
  // Without a schema the route takes no input, and S is the open ZodType: its output is unknown.
  if (!schema) return { ok: true, data: value as z.output<S> };
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
export function parseOrThrow<S extends z.ZodType>(
  schema: S | undefined,
  value: unknown,
  where: "body" | "query",
): z.output<S> {
  const parsed = parseInput(schema, value, where);
  if (!parsed.ok) throw parsed.error;
  return parsed.data;
}

/** The deepest nesting of arrays and objects a JSON body may have (OpenAI tool schemas stay far below it). */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests arrays and objects deeper than `max`: one pass without recursion,
 * run before JSON.parse so a body nested 50,000 deep is refused rather than overflowing a stack
 * later. Brackets inside strings do not count.
 */
export function jsonTooDeep(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: the next character is escaped
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}
