import type { BlockList } from "node:net";
import { listContains } from "../limits/cidr";

/**
 * The calling client's address. X-Forwarded-For is believed only when the connection comes
 * from a trusted proxy, and then read from the right: the first address that is not itself
 * a trusted proxy is the client (anything left of it may be forged by the client).
 */
export function clientAddress(
  remote: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: BlockList | undefined,
): string {
  const peer = remote ?? "";
  if (!trustedProxies || forwardedFor === undefined || !listContains(trustedProxies, peer)) return peer;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(",") : forwardedFor)
    .split(",")
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!listContains(trustedProxies, hops[i])) return hops[i];
  }
  return hops[0] ?? peer;
}
