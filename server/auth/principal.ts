import { constantTimeEqual } from "../crypto/keyring";
import type { Principal, Services } from "../http/context";
import { ApiError } from "../http/errors";
import { findPresentedKey, keyRefusal, type Refusal, refusal } from "../keys/verify";
import type { ApiKeyRow } from "../store/schema";
import type { Callers } from "./callers";

/**
 * The management principal a key stands for, as a verdict: a key the gateway would admit
 * (not revoked, expired, spent, disabled or leaked), used from an address it allows, of project
 * scope. Management calls, console sign-in and every console request of a key's session ask this.
 */
export function keyPrincipal(
  callers: Callers,
  key: ApiKeyRow | undefined,
  now: number,
  client: string,
  inferenceRefusal: string,
): { ok: true; principal: Principal } | Refusal {
  const refused = keyRefusal(key, now);
  if (refused) return refused;
  const address = callers.limits.checkAddress(key!, client);
  if (!address.ok) return address;
  if (key!.scope !== "project") return refusal("scope_forbidden", inferenceRefusal);
  return { ok: true, principal: { kind: "key", keyId: key!.id, projectId: key!.project_id } };
}

/** The management principal a presented credential stands for: the admin token, or a key as keyPrincipal judges it. */
export async function principalOf(
  services: Services,
  callers: Callers,
  credential: string,
  client: string,
  inferenceRefusal: string,
): Promise<Principal> {
  if (constantTimeEqual(credential, callers.admin.token)) return { kind: "admin" };
  const verdict = keyPrincipal(
    callers,
    await findPresentedKey(services, credential),
    services.now(),
    client,
    inferenceRefusal,
  );
  if (!verdict.ok) throw new ApiError(verdict.code, verdict.message);
  return verdict.principal;
}
