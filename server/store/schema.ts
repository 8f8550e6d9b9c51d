import type { Generated, Insertable, Selectable } from "kysely";

// Row types. Times are epoch milliseconds; booleans are 0/1 so both dialects agree.
/** Which database a store runs on. */
export type Dialect = "sqlite" | "postgres";

export interface ProjectRow {
  id: string;
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
}

export interface DeploymentRow {
  id: string;
  project_id: string;
  name: string;
  model: string;
  status: "running" | "stopped";
  upstream_url: string | null;
  upstream_secret: string | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKeyRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  labels: string;
  scope: "inference" | "project";
  deployment_access: "bound" | "all";
  key_hash: string;
  last4: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  max_expires_at: number | null;
  ttl_seconds: number | null;
  explicit_max_ttl_seconds: number | null;
  renewable: number;
  num_uses: number;
  uses: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** pulumi:<stack>:<urn> when a Pulumi stack manages the key. */
  managed_by: string | null;
  /** 0: refused with disabled_key until enabled again. */
  enabled: number;
  /** Calls allowed per window; both null when the key has no rate limit. */
  rate_limit: number | null;
  rate_window_seconds: number | null;
  /** JSON array of CIDRs; empty: calls from anywhere. */
  allowed_cidrs: string;
  /** When a revoke with a grace period was asked for (the key then expires at expires_at). */
  grace_revoked_at: number | null;
  /** Last change to the key or its bindings. */
  updated_at: number;
  /** First leak report (POST /v1/leaks): refused with leaked_key from then on; where it was found. */
  leaked_at: number | null;
  leak_source: string | null;
  leak_url: string | null;
}

export interface BindingRow {
  api_key_id: string;
  deployment_id: string;
  project_id: string;
  created_at: number;
}

export interface SecretRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  use_case: "huggingface" | "s3" | "image-pull" | "generic";
  version: number;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
  managed_by: string | null;
  /** JSON array of the origins the value may be sent to as an upstreamSecret ("*": any). */
  allowed_upstreams: string;
}

export interface SecretVersionRow {
  secret_id: string;
  version: number;
  ciphertext: string;
  created_at: number;
}

export interface AuditRow {
  id: Generated<number>;
  project_id: string | null;
  at: number;
  principal: string;
  action: string;
  target_type: string;
  target_id: string;
  details: string;
}

export interface IdempotencyRow {
  scope: string;
  idem_key: string;
  request_hash: string;
  status: number;
  response: string;
  created_at: number;
  /** The object the create made; deleting it ends the replay. */
  object_id: string | null;
}

/** Gateway usage per key, deployment and UTC day, added to in batches. */
export interface KeyUsageTable {
  api_key_id: string;
  deployment_id: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  project_id: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
}
export type KeyUsageRow = Selectable<KeyUsageTable>;

/** One gateway call, admitted or refused; kept for the configured retention. */
export interface AccessLogTable {
  id: Generated<number>;
  at: number;
  /** null when the call named no known key (missing or invalid). */
  project_id: string | null;
  api_key_id: string | null;
  deployment: string | null;
  outcome: string;
  status: number;
  client: string;
}
export type AccessLogRow = Selectable<AccessLogTable>;
export type NewAccessLogRow = Insertable<AccessLogTable>;
export interface ConsoleSessionRow {
  /** SHA-256 of the session id; the id itself is only in the browser's HttpOnly cookie. */
  id_hash: string;
  principal_kind: "admin" | "key";
  key_id: string | null;
  project_id: string | null;
  /** For an admin session, a keyed fingerprint of the admin token it signed in with (never the token). */
  admin_fingerprint: string | null;
  created_at: number;
  expires_at: number;
}

export interface Database {
  projects: ProjectRow;
  deployments: DeploymentRow;
  api_keys: ApiKeyRow;
  bindings: BindingRow;
  secrets: SecretRow;
  secret_versions: SecretVersionRow;
  audit: AuditRow;
  idempotency: IdempotencyRow;
  key_usage: KeyUsageTable;
  access_log: AccessLogTable;
  console_sessions: ConsoleSessionRow;
}
