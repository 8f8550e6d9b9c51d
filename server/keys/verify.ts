import type { ErrorCode } from "@keyplane/api";
import type { Services } from "../http/context";
import { apiKeyByHash } from "../store/api-keys";
import type { ApiKeyRow } from "../store/schema";
import { isWellFormedApiKey } from "./format";
import { keyStatus } from "./lifetime";

/** A refusal as a value: what the gateway answers instead of throwing. */
export interface Refusal {
  ok: false;
  code: ErrorCode;
  message: string;
}

export const refusal = (code: ErrorCode, message: string): Refusal => ({ ok: false, code, message });
const UNKNOWN = refusal("invalid_key", "the key is not a valid keyplane key");
const REFUSALS = {
  revoked: refusal("revoked_key", "this key has been revoked"),
  expired: refusal("expired_key", "this key has expired"),
  exhausted: refusal("exhausted_key", "this key has used all of its numUses"),
  leaked: refusal("leaked_key", "this key was reported leaked and is refused; replace it"),
} as const;
const DISABLED = refusal("disabled_key", "this key is disabled");

/** The key row a presented key names, by its keyed hash; a malformed key costs no lookup. */
export async function findPresentedKey(services: Services, presented: string): Promise<ApiKeyRow | undefined> {
  if (!isWellFormedApiKey(presented)) return undefined;
  return apiKeyByHash(services.db, services.keyring.hashApiKey(presented));
}

/** Why a missing, leaked, revoked, expired, spent or disabled key is refused (401); undefined when it may be used. */
export function keyRefusal(
  row: Pick<ApiKeyRow, "revoked_at" | "expires_at" | "num_uses" | "uses" | "enabled" | "leaked_at"> | undefined,
  now: number,
): Refusal | undefined {
  if (!row) return UNKNOWN;
  const status = keyStatus(row, now);
  if (status !== "active") return REFUSALS[status];
  return row.enabled ? undefined : DISABLED;
}
