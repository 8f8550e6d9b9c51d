import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Keyring } from "../crypto/keyring";
import { type EgressPolicy, portOf } from "./egress";
import type { AdmittedDeployment } from "./gate";

/** The mark on every call the gateway sends upstream; an inbound call with this server's mark is a loop. */
export const HOP_HEADER = "keyplane-hop";

// Kept-alive connections to upstreams: a new TCP (and TLS) handshake per call would cost
// more than the whole gate.
const agents = { "http:": new http.Agent({ keepAlive: true }), "https:": new https.Agent({ keepAlive: true }) };

// Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection, not to the answer.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** `refused`: the egress policy refused the address (no connection was made). */
export type UpstreamResult =
  | { ok: true; response: IncomingMessage; headers: Record<string, string | string[]> }
  | { ok: false; reason: string; refused?: boolean };

/**
 * The bearer token the deployment's upstreamSecret holds: a huggingface secret's `token`, or a
 * generic secret's `data.token`. Opened here, per call, and only sent upstream.
 */
export function upstreamToken(
  keyring: Keyring,
  secret: NonNullable<AdmittedDeployment["upstreamSecret"]>,
): string | undefined {
  if (!secret.sealed) return undefined;
  const value = JSON.parse(keyring.decrypt(secret.sealed.ciphertext, `${secret.id}:${secret.sealed.version}`));
  const token = secret.sealed.useCase === "generic" ? value.data?.token : value.token;
  return typeof token === "string" && token !== "" ? token : undefined;
}

/** `<upstreamUrl>/<path>`: the deployment's URL is a base, as for every OpenAI-compatible client (its query, if any, is kept). */
export function upstreamTarget(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${path}`;
  return url;
}

/**
 * POST a JSON body upstream. Resolves with the upstream's answer as soon as its head arrives
 * (the body is left to stream); refusals to connect, an idle timeout and aborts resolve as
 * failures. Only `content-type`, `accept`, the hop mark and, when given, the upstream's own
 * bearer token are sent: nothing of the caller's credentials. The egress policy judges the
 * literal host here and every resolved address as the connection is made.
 */
export function callUpstream(
  target: URL,
  payload: string,
  opts: { accept?: string; token?: string; timeoutMs: number; signal: AbortSignal; egress: EgressPolicy; hop: string },
): Promise<UpstreamResult> {
  return new Promise((resolve) => {
    const verdict = opts.egress.judgeHost(target);
    if (!verdict.ok) return resolve({ ok: false, reason: verdict.reason, refused: true });
    const headers: Record<string, string | number> = {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(payload),
      accept: opts.accept ?? "*/*",
      [HOP_HEADER]: opts.hop,
    };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    const client = target.protocol === "https:" ? https : http;
    const req = client.request(target, {
      method: "POST",
      headers,
      agent: agents[target.protocol as "http:" | "https:"],
      signal: opts.signal,
      lookup: opts.egress.lookupFor(portOf(target)) as never,
    });
    // Idle timeout: no byte from the upstream for that long, before or during its answer.
    req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ ok: false, reason: e.message, refused: e.code === "EGRESS_REFUSED" }),
    );
    req.once("response", (response) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
      resolve({ ok: true, response, headers: out });
    });
    req.end(payload);
  });
}
