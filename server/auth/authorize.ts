import type { RouteSpec } from "@keyplane/api";
import { ApiError } from "../http/errors";
import { activeSession, sessionIdFrom } from "./sessions";
import type { Principal, Services } from "../http/context";
import { constantTimeEqual } from "../crypto/keyring";
import { type Callers, checkKeyAddress } from "./callers";
import { bearerToken, verifyApiKey } from "../keys/verify";

type Headers = Record<string, string | string[] | undefined>;

/** Who is calling a management route, and whether they may call this one. */
export async function authorize(
  services: Services,
  callers: Callers,
  spec: Pick<RouteSpec, "auth" | "method">,
  request: { headers: Headers; client: string },
  params: Record<string, string>,
): Promise<Principal> {
  const principal = await whoIsCalling(services, callers, spec, request);
  if (principal.kind === "admin") return principal;
  if (spec.auth === "admin") throw new ApiError("forbidden", "this operation needs the admin token");
  if (params.projectId !== principal.projectId) throw new ApiError("forbidden", "a project key can only manage its own project");
  return principal;
}

/** A bearer credential wins; without one, a console session cookie stands for the credential it signed in with. */
export async function whoIsCalling(services: Services, callers: Callers, spec: Pick<RouteSpec, "method">, request: { headers: Headers; client: string }): Promise<Principal> {
  const credential = bearerToken(request.headers);
  if (!credential) {
    const sessionId = sessionIdFrom(request.headers);
    if (!sessionId) throw new ApiError("missing_key", "send the admin token or a project-scope key as Authorization: Bearer <token>");
    return (await activeSession(services, callers, sessionId, spec.method !== "GET", request)).principal;
  }
  return principalOf(services, callers, credential, request.client, "inference keys cannot manage anything; use a project-scope key or the admin token");
}

/**
 * The management principal a credential stands for: the admin token, or a live project-scope
 * key used from an address it allows (its lifetime, enabled and allowedCidrs hold here as on
 * the gateway). Management calls and console sign-in both ask this.
 */
export async function principalOf(services: Services, callers: Callers, credential: string, client: string, inferenceRefusal: string): Promise<Principal> {
  if (constantTimeEqual(credential, callers.admin.token)) return { kind: "admin" };
  const key = await verifyApiKey(services, credential);
  checkKeyAddress(callers, key, client);
  if (key.scope !== "project") throw new ApiError("scope_forbidden", inferenceRefusal);
  return { kind: "key", keyId: key.id, projectId: key.project_id };
}
