import type { FieldIssue } from "@keyplane/api";

/** A refusal from the keyplane server; its message never carries a credential or a secret value. */
export class KeyplaneApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(
      `keyplane: ${status} ${code}: ${message}${details.length ? ` (${details.map((d) => `${d.path}: ${d.message}`).join("; ")})` : ""}`,
    );
    this.name = "KeyplaneApiError";
  }
}
