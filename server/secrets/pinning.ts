/**
 * Whether a secret whose allowedUpstreams is `allowed` may be sent to `upstreamUrl`'s origin:
 * judged when a deployment names the secret, and again by the gateway on every call.
 */
export function originAllowed(allowed: readonly string[], upstreamUrl: string): boolean {
  return allowed.includes("*") || allowed.includes(new URL(upstreamUrl).origin);
}
