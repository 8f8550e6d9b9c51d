import { ApiError } from "./api-error";
import type { Services } from "./context";
import { isWellFormedApiKey } from "./crypto/api-key-format";
import { keyStatus } from "./handlers/key-lifetime";
import { apiKeyByHash } from "./store/api-keys";
import type { ApiKeyRow } from "./store/schema";

const REFUSALS = {
  revoked: ["revoked_key", "this key has been revoked"],
  expired: ["expired_key", "this key has expired"],
  exhausted: ["exhausted_key", "this key has used all of its numUses"],
} as const;

/** Looks a presented key up by its keyed hash; malformed keys are refused before any lookup. */
export async function verifyApiKey(services: Services, presented: string): Promise<ApiKeyRow> {
  if (!isWellFormedApiKey(presented)) throw new ApiError("invalid_key", "the key is not a valid keyplane key");
  const row = await apiKeyByHash(services.db, services.keyring.hashApiKey(presented));
  return refuseUnlessActive(row, services.now());
}

/** The 401 a missing, revoked, expired, spent or disabled key gets; the row itself when it may be used. */
export function refuseUnlessActive<T extends Pick<ApiKeyRow, "revoked_at" | "expires_at" | "num_uses" | "uses" | "enabled">>(row: T | undefined, now: number): T {
  if (!row) throw new ApiError("invalid_key", "the key is not a valid keyplane key");
  const status = keyStatus(row, now);
  if (status !== "active") throw new ApiError(REFUSALS[status][0], REFUSALS[status][1]);
  if (!row.enabled) throw new ApiError("disabled_key", "this key is disabled");
  return row;
}

/** The credential from `Authorization: Bearer` or, for the gateway, `x-api-key`. */
export function presentedCredential(headers: Record<string, string | string[] | undefined>, allowApiKeyHeader: boolean): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const xKey = headers["x-api-key"];
  if (allowApiKeyHeader && typeof xKey === "string" && xKey.length > 0) return xKey.trim();
  return undefined;
}
