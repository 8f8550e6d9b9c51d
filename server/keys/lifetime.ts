import { parseDuration } from "@keyplane/api";
import { ApiError } from "../http/errors";
import type { ApiKeyRow } from "../store/schema";

// Vault-like lifetime rules, kept apart from HTTP so they read as the policy they are.

const seconds = (d: string | undefined): number | null => {
  if (d === undefined) return null;
  const s = parseDuration(d)!;
  return s === 0 ? null : s;
};

export interface Lifetime {
  expires_at: number | null;
  max_expires_at: number | null;
  ttl_seconds: number | null;
  explicit_max_ttl_seconds: number | null;
}

/** The lifetime of a new key; the explicit max caps the first expiry as it caps every renewal. */
export function initialLifetime(
  now: number,
  input: { ttl?: string; expiresAt?: string; explicitMaxTtl?: string },
): Lifetime {
  const explicitMax = seconds(input.explicitMaxTtl);
  const maxExpiresAt = explicitMax === null ? null : now + explicitMax * 1000;
  let expiresAt: number | null = null;
  let ttl = seconds(input.ttl);
  if (input.expiresAt !== undefined) {
    expiresAt = Date.parse(input.expiresAt);
    if (expiresAt <= now)
      throw new ApiError("invalid_request", "expiresAt is in the past", [
        { path: "expiresAt", message: "must be in the future" },
      ]);
    ttl = Math.ceil((expiresAt - now) / 1000);
  } else if (ttl !== null) {
    expiresAt = now + ttl * 1000;
  }
  if (maxExpiresAt !== null && (expiresAt === null || expiresAt > maxExpiresAt)) expiresAt = maxExpiresAt;
  return {
    expires_at: expiresAt,
    max_expires_at: maxExpiresAt,
    ttl_seconds: ttl,
    explicit_max_ttl_seconds: explicitMax,
  };
}

/** A lifetime change by PATCH: ttl counts from the key's creation, expiresAt is absolute. */
export function changedLifetime(
  row: ApiKeyRow,
  now: number,
  input: { ttl?: string; expiresAt?: string },
): Partial<Lifetime> {
  let expiresAt: number | null;
  let ttl: number | null;
  let path: string;
  if (input.expiresAt !== undefined) {
    expiresAt = Date.parse(input.expiresAt);
    ttl = Math.ceil((expiresAt - row.created_at) / 1000);
    path = "expiresAt";
  } else if (input.ttl !== undefined) {
    ttl = seconds(input.ttl);
    expiresAt = ttl === null ? null : row.created_at + ttl * 1000;
    path = "ttl";
  } else {
    return {};
  }
  if (row.max_expires_at !== null && (expiresAt === null || expiresAt > row.max_expires_at)) {
    throw new ApiError(
      "invalid_request",
      `the key's explicitMaxTtl ends at ${new Date(row.max_expires_at).toISOString()}`,
      [{ path, message: "would pass the key's explicitMaxTtl" }],
    );
  }
  if (expiresAt !== null && expiresAt <= now) {
    throw new ApiError("invalid_request", "the new lifetime has already ended", [
      { path, message: "would already be expired" },
    ]);
  }
  return { expires_at: expiresAt, ttl_seconds: ttl };
}

/** Renewal: extend to now + increment (default: the key's ttl), never past the explicit max, never shorter. */
export function renewedExpiry(
  row: ApiKeyRow,
  now: number,
  increment: string | undefined,
): { expiresAt: number; warnings: string[] } {
  if (row.renewable !== 1) throw new ApiError("not_renewable", "this key was created with renewable: false");
  if (row.leaked_at !== null)
    throw new ApiError("conflict", "this key was reported leaked; it cannot be renewed, replace it");
  if (row.grace_revoked_at !== null)
    throw new ApiError("conflict", "this key is being revoked with a grace period; it cannot be renewed");
  if (row.expires_at === null) throw new ApiError("conflict", "this key never expires; there is nothing to renew");
  if (row.expires_at <= now)
    throw new ApiError("conflict", "this key has expired and can no longer be renewed; replace it");
  const period = seconds(increment) ?? row.ttl_seconds ?? Math.ceil((row.expires_at - row.created_at) / 1000);
  const warnings: string[] = [];
  let expiresAt = Math.max(row.expires_at, now + period * 1000);
  if (row.max_expires_at !== null && expiresAt > row.max_expires_at) {
    expiresAt = row.max_expires_at;
    warnings.push("the renewal was capped at the key's explicitMaxTtl; replace the key to go further");
  }
  return { expiresAt, warnings };
}

/**
 * Where a revoke with a grace period moves the key's expiry; undefined: revoke at once (no
 * grace, or the key has already expired). A grace past the key's own expiry would lengthen
 * its life, so it is refused; a repeated revoke may only shorten the grace.
 */
export function graceExpiry(row: ApiKeyRow, now: number, gracePeriod: string | undefined): number | undefined {
  const grace = gracePeriod === undefined ? 0 : parseDuration(gracePeriod)!;
  if (grace === 0 || (row.expires_at !== null && row.expires_at <= now)) return undefined;
  const expiresAt = now + grace * 1000;
  if (row.grace_revoked_at !== null) return Math.min(expiresAt, row.expires_at ?? expiresAt);
  if (row.expires_at !== null && expiresAt > row.expires_at) {
    throw new ApiError(
      "invalid_request",
      `gracePeriod ${gracePeriod} is longer than the key's remaining lifetime (it expires at ${new Date(row.expires_at).toISOString()})`,
      [{ path: "query.gracePeriod", message: "is longer than the key's remaining lifetime" }],
    );
  }
  return expiresAt;
}

export type KeyStatus = "active" | "expired" | "exhausted" | "revoked" | "leaked";

export function keyStatus(
  row: Pick<ApiKeyRow, "revoked_at" | "expires_at" | "num_uses" | "uses" | "leaked_at">,
  now: number,
): KeyStatus {
  // Leaked wins even over revoked: whoever still presents the key learns why it is refused,
  // and its access log shows the attempts as leaked_key.
  if (row.leaked_at !== null) return "leaked";
  if (row.revoked_at !== null) return "revoked";
  if (row.expires_at !== null && row.expires_at <= now) return "expired";
  if (row.num_uses > 0 && row.uses >= row.num_uses) return "exhausted";
  return "active";
}
