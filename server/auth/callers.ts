import type { BlockList } from "node:net";
import type { FastifyRequest } from "fastify";
import type { KeyLimits } from "../limits/key-limits";
import { clientAddress } from "./client-address";

/** What management and the console need to tell who is calling: the admin token, and keys' limits. */
export interface Callers {
  admin: { token: string; fingerprint: string };
  limits: KeyLimits;
  trustedProxies?: BlockList;
}

/** The calling client's address, as the gateway reads it (X-Forwarded-For only from trusted proxies). */
export const callerAddress = (callers: Pick<Callers, "trustedProxies">, request: FastifyRequest) =>
  clientAddress(request.socket.remoteAddress, request.headers["x-forwarded-for"], callers.trustedProxies);
