import { createHash, randomBytes } from "node:crypto";
import { constantTimeEqual } from "../crypto/keyring";
import type { Principal, Services } from "../http/context";
import { ApiError } from "../http/errors";
import { findLiveApiKey } from "../store/api-keys";
import { deleteSession, findSession, insertSession } from "../store/sessions";
import type { Callers } from "./callers";
import { keyPrincipal } from "./principal";

// Console sessions: a random id in an HttpOnly cookie, only its SHA-256 in the database (a
// 256-bit random id needs no pepper), a CSRF token derived from the id, and an absolute expiry.

export const SESSION_COOKIE = "kp_session";
export const CSRF_HEADER = "x-keyplane-csrf";
export const SESSION_TTL_MS = 8 * 3600 * 1000;

type Headers = Record<string, string | string[] | undefined>;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** What the page must echo in the CSRF header: derived from the session id, useless without the cookie. */
const csrfTokenOf = (sessionId: string) => sha256(`keyplane console csrf v1:${sessionId}`);

export function sessionIdFrom(headers: Headers): string | undefined {
  const cookie = headers.cookie;
  if (typeof cookie !== "string") return undefined;
  for (const part of cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

export function sessionCookie(sessionId: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? "; Secure" : ""}`;
}

/** A cross-site write carries a foreign Origin; a same-origin one carries ours or none (older clients). */
export function sameOrigin(headers: Headers): boolean {
  const origin = headers.origin;
  if (typeof origin !== "string") return true;
  try {
    return new URL(origin).host === headers.host;
  } catch {
    return false;
  }
}

/** `adminFingerprint`: for an admin session, the keyed fingerprint of the token it signed in with. */
export async function createSession(
  services: Services,
  principal: Principal,
  adminFingerprint: string,
): Promise<{ id: string; csrfToken: string; expiresAt: number }> {
  const now = services.now();
  const id = randomBytes(32).toString("base64url");
  const expiresAt = now + SESSION_TTL_MS;
  await insertSession(services.db, {
    id_hash: sha256(id),
    principal_kind: principal.kind,
    key_id: principal.kind === "key" ? principal.keyId : null,
    project_id: principal.kind === "key" ? principal.projectId : null,
    admin_fingerprint: principal.kind === "admin" ? adminFingerprint : null,
    created_at: now,
    expires_at: expiresAt,
  });
  return { id, csrfToken: csrfTokenOf(id), expiresAt };
}

export async function endSession(services: Services, sessionId: string): Promise<void> {
  await deleteSession(services.db, sha256(sessionId));
}

export interface ActiveSession {
  principal: Principal;
  csrfToken: string;
  expiresAt: number;
}

/**
 * The session a cookie names, if it is still good: not expired; for an admin session, made with
 * the admin token this server runs with (a rotated token ends the sessions of the old one); for
 * a key session, the key still live and still project-scoped (a revoked, expired or narrowed key
 * ends its sessions), used from an address it allows. Writes must also carry the CSRF token
 * and come from our own origin.
 */
export async function activeSession(
  services: Services,
  callers: Callers,
  sessionId: string,
  write: boolean,
  request: { headers: Headers; client: string },
): Promise<ActiveSession> {
  const { headers } = request;
  const now = services.now();
  const row = await findSession(services.db, sha256(sessionId));
  if (!row || row.expires_at <= now)
    throw new ApiError("session_expired", "the console session has ended; sign in again");
  let principal: Principal = { kind: "admin" };
  if (
    row.principal_kind === "admin" &&
    (row.admin_fingerprint === null || !constantTimeEqual(row.admin_fingerprint, callers.admin.fingerprint))
  ) {
    await endSession(services, sessionId);
    throw new ApiError(
      "session_expired",
      "the admin token this session signed in with is no longer the server's; sign in again",
    );
  }
  if (row.principal_kind === "key") {
    // The key's limits hold for as long as the session: the same judgement as at sign-in.
    const key = await findLiveApiKey(services.db, row.project_id!, row.key_id!);
    const verdict = keyPrincipal(callers, key, now, request.client, "the key is no longer project-scoped");
    if (!verdict.ok && verdict.code === "ip_not_allowed") throw new ApiError(verdict.code, verdict.message);
    if (!verdict.ok) {
      await endSession(services, sessionId);
      throw new ApiError(
        "session_expired",
        "the key this session signed in with can no longer manage the project; sign in again",
      );
    }
    principal = verdict.principal;
  }
  const csrfToken = csrfTokenOf(sessionId);
  if (write) {
    const sent = headers[CSRF_HEADER];
    if (typeof sent !== "string" || !constantTimeEqual(sent, csrfToken) || !sameOrigin(headers)) {
      throw new ApiError(
        "forbidden",
        `console writes need the ${CSRF_HEADER} header of this session, from this origin`,
      );
    }
  }
  return { principal, csrfToken, expiresAt: row.expires_at };
}
