import { type ErrorCode, type FieldIssue, statusOfCode } from "@keyplane/api";

/** The wire form of every error: `{"error": {code, message, details?}}`. */
export const errorBody = (code: ErrorCode, message: string, details?: FieldIssue[]) => ({
  error: { code, message, ...(details ? { details } : {}) },
});

/** An error the client caused or may act on: answered with its code, never logged as a fault. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: FieldIssue[],
  ) {
    super(message);
    this.status = statusOfCode(code);
  }

  body() {
    return errorBody(this.code, this.message, this.details);
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);

/** The row a lookup found, or 404 naming what was looked for. */
export function found<T>(row: T | undefined, what: string): T {
  if (row === undefined) throw notFound(what);
  return row;
}
