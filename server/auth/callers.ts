import type { BlockList } from "node:net";
import type { FastifyRequest } from "fastify";
import { ApiError } from "../http/errors";
import type { KeyLimits } from "../limits/key-limits";
import { clientAddress } from "./client-address";
import type { ApiKeyRow } from "../store/schema";

/** What management and the console need to tell who is calling: the admin token, and keys' limits. */
export interface Callers {
  admin: { token: string; fingerprint: string };
  limits: KeyLimits;
  trustedProxies?: BlockList;
}

/** A key's address pin holds on management and console routes as on the gateway. */
export function checkKeyAddress(callers: Callers, key: Pick<ApiKeyRow, "allowed_cidrs">, client: string): void {
  if (!callers.limits.checkAddress(key, client).ok) throw new ApiError("ip_not_allowed", "this key may not be used from this address");
}

/** The calling client's address, as the gateway reads it (X-Forwarded-For only from trusted proxies). */
export const callerAddress = (callers: Pick<Callers, "trustedProxies">, request: FastifyRequest) =>
  clientAddress(request.socket.remoteAddress, request.headers["x-forwarded-for"], callers.trustedProxies);
