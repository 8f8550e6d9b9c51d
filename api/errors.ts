/** Every error code the server answers with, by HTTP status. One list for server, client and docs. */
export const ERROR_CODES = {
  400: ["invalid_request", "invalid_json", "invalid_body"],
  401: [
    "missing_key",
    "invalid_key",
    "expired_key",
    "revoked_key",
    "exhausted_key",
    "disabled_key",
    "leaked_key",
    "session_expired",
    "invalid_signature",
  ],
  403: [
    "forbidden",
    "scope_forbidden",
    "deployment_not_bound",
    "deployment_not_running",
    "not_renewable",
    "ip_not_allowed",
  ],
  404: ["not_found", "model_not_found"],
  409: ["name_taken", "project_not_empty", "idempotency_key_reused", "conflict"],
  413: ["payload_too_large"],
  415: ["unsupported_media_type"],
  429: ["rate_limited"],
  500: ["internal"],
  502: ["upstream_failed"],
  503: ["not_ready", "unavailable"],
  508: ["loop_detected"],
} as const;

export type ErrorStatus = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorStatus][number];

export function statusOfCode(code: ErrorCode): ErrorStatus {
  for (const [status, codes] of Object.entries(ERROR_CODES)) {
    if ((codes as readonly string[]).includes(code)) return Number(status) as ErrorStatus;
  }
  return 500;
}

/** One invalid field: `path` is the dotted path into the request body or query. */
export interface FieldIssue {
  path: string;
  message: string;
}
