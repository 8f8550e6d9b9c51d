import type { Generated } from "kysely";

// Row types. Times are epoch milliseconds; booleans are 0/1 so both dialects agree.
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
  /** Last change to the key or its bindings. */
  updated_at: number;
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
}

export interface ConsoleSessionRow {
  /** SHA-256 of the session id; the id itself is only in the browser's HttpOnly cookie. */
  id_hash: string;
  principal_kind: "admin" | "key";
  key_id: string | null;
  project_id: string | null;
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
  console_sessions: ConsoleSessionRow;
}
