import { createHash } from "node:crypto";
import type { Keyring } from "../crypto/keyring";
import type { Db } from "../store/database";
import { deleteAnswersBefore, findAnswer, insertAnswer } from "../store/idempotency";
import { ApiError } from "./errors";

/** How long a create's first answer is kept for retries (encrypted: it may hold a key's secret). */
const IDEMPOTENCY_WINDOW_MS = 24 * 3600 * 1000;

export interface IdempotencyClaim {
  scope: string;
  key: string;
  requestHash: string;
}

export function idempotencyClaim(
  principal: string,
  method: string,
  url: string,
  key: string,
  body: unknown,
): IdempotencyClaim {
  if (key.length > 255)
    throw new ApiError("invalid_request", "Idempotency-Key is too long", [
      { path: "Idempotency-Key", message: "at most 255 characters" },
    ]);
  return {
    scope: `${principal} ${method} ${url}`,
    key,
    requestHash: createHash("sha256")
      .update(JSON.stringify(body ?? null))
      .digest("hex"),
  };
}

/** The stored answer to an earlier request with this key, if any. */
export async function storedAnswer(db: Db, keyring: Keyring, claim: IdempotencyClaim, now: number) {
  const row = await findAnswer(db, claim.scope, claim.key, now - IDEMPOTENCY_WINDOW_MS);
  if (!row) return undefined;
  if (row.request_hash !== claim.requestHash) {
    throw new ApiError("idempotency_key_reused", "this Idempotency-Key was used with a different request body");
  }
  return { status: row.status, body: JSON.parse(keyring.decrypt(row.response, `${claim.scope}\n${claim.key}`)) };
}

export async function storeAnswer(
  db: Db,
  keyring: Keyring,
  claim: IdempotencyClaim,
  now: number,
  status: number,
  body: unknown,
) {
  const row = {
    scope: claim.scope,
    idem_key: claim.key,
    request_hash: claim.requestHash,
    status,
    response: keyring.encrypt(JSON.stringify(body), `${claim.scope}\n${claim.key}`),
    created_at: now,
    object_id: typeof (body as { id?: unknown })?.id === "string" ? (body as { id: string }).id : null,
  };
  // Only an expired record may be replaced; a live one makes the insert fail, and the caller replays it.
  await insertAnswer(db, row, now - IDEMPOTENCY_WINDOW_MS);
}

export const forgetExpiredAnswers = (db: Db, now: number) => deleteAnswersBefore(db, now - IDEMPOTENCY_WINDOW_MS);
