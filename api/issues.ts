import type { z } from "zod";
import type { FieldIssue } from "./errors";

/** zod issues as `{path, message}` with a dotted path, the form the API and the provider report. */
export function fieldIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    const parts = [prefix, ...issue.path.map(String)].filter((p) => p !== "");
    return { path: parts.join(".") || "(body)", message: issue.message };
  });
}
