import type { RouteSpec } from "@keyplane/api";
import { ApiError } from "./api-error";
import { activeSession, sessionIdFrom } from "./console/sessions";
import type { Principal, Services } from "./context";
import { constantTimeEqual } from "./crypto/keyring";
import { bearerToken, verifyApiKey } from "./verify-key";

/** Who is calling a management route, and whether they may call this one. */
export async function authorize(
  services: Services,
  adminToken: string,
  spec: Pick<RouteSpec, "auth" | "method">,
  headers: Record<string, string | string[] | undefined>,
  params: Record<string, string>,
): Promise<Principal> {
  const principal = await whoIsCalling(services, adminToken, spec, headers);
  if (principal.kind === "admin") return principal;
  if (spec.auth === "admin") throw new ApiError("forbidden", "this operation needs the admin token");
  if (params.projectId !== principal.projectId) throw new ApiError("forbidden", "a project key can only manage its own project");
  return principal;
}

/** A bearer credential wins; without one, a console session cookie stands for the credential it signed in with. */
export async function whoIsCalling(
  services: Services,
  adminToken: string,
  spec: Pick<RouteSpec, "method">,
  headers: Record<string, string | string[] | undefined>,
): Promise<Principal> {
  const credential = bearerToken(headers);
  if (!credential) {
    const sessionId = sessionIdFrom(headers);
    if (!sessionId) throw new ApiError("missing_key", "send the admin token or a project-scope key as Authorization: Bearer <token>");
    return (await activeSession(services, sessionId, spec.method !== "GET", headers)).principal;
  }
  if (constantTimeEqual(credential, adminToken)) return { kind: "admin" };
  const key = await verifyApiKey(services, credential);
  if (key.scope !== "project") throw new ApiError("scope_forbidden", "inference keys cannot manage anything; use a project-scope key or the admin token");
  return { kind: "key", keyId: key.id, projectId: key.project_id };
}
