import type { RouteSpec } from "@keyplane/api";
import { bearerToken } from "../http/bearer";
import type { Principal, Services } from "../http/context";
import { ApiError } from "../http/errors";
import type { Callers } from "./callers";
import { principalOf } from "./principal";
import { activeSession, sessionIdFrom } from "./sessions";

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
  if (params.projectId !== principal.projectId)
    throw new ApiError("forbidden", "a project key can only manage its own project");
  return principal;
}

/** A bearer credential wins; without one, a console session cookie stands for the credential it signed in with. */
export async function whoIsCalling(
  services: Services,
  callers: Callers,
  spec: Pick<RouteSpec, "method">,
  request: { headers: Headers; client: string },
): Promise<Principal> {
  const credential = bearerToken(request.headers);
  if (!credential) {
    const sessionId = sessionIdFrom(request.headers);
    if (!sessionId)
      throw new ApiError("missing_key", "send the admin token or a project-scope key as Authorization: Bearer <token>");
    return (await activeSession(services, callers, sessionId, spec.method !== "GET", request)).principal;
  }
  return principalOf(
    services,
    callers,
    credential,
    request.client,
    "inference keys cannot manage anything; use a project-scope key or the admin token",
  );
}
