import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import { schemas } from "@keyplane/api";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import type { z } from "zod";
import type { ConnectionConfig } from "./config";
import { KeyplaneApiError } from "./errors";

const TRANSIENT_STATUS = new Set([429, 502, 503, 504]);
const TRANSIENT_NETWORK = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN"]);

export interface ClientOptions {
  retries?: number;
  /** Base backoff in ms, doubled per attempt. */
  backoffMs?: number;
  timeoutMs?: number;
}

interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  response?: z.ZodType;
  /** POST creates send one key for all their attempts, so a retry cannot make a second object. */
  idempotencyKey?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The v1 API over axios: validated responses, Idempotency-Key on creates, retries where safe. */
export class KeyplaneClient {
  readonly http: AxiosInstance;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly tokenSource: string;
  private readonly deriveWith: Buffer;

  constructor(connection: ConnectionConfig, options: ClientOptions = {}) {
    this.tokenSource = connection.tokenSource;
    this.deriveWith = createHmac("sha256", "keyplane idempotency").update(connection.token).digest();
    this.http = axios.create({
      baseURL: connection.endpoint,
      timeout: options.timeoutMs ?? 30_000,
      headers: { authorization: `Bearer ${connection.token}`, "user-agent": "keyplane-pulumi" },
      validateStatus: () => true,
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 16 }),
      httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 16 }),
    });
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
  }

  /**
   * An Idempotency-Key that is the same whenever the same caller sends the same request for the
   * same owner, so a create repeated after a killed run replays the first answer. Keyed by the
   * credential: the key reveals nothing of the body (which may hold a secret value).
   */
  derivedIdempotencyKey(...parts: unknown[]): string {
    return `kp-derived-${createHmac("sha256", this.deriveWith).update(JSON.stringify(parts)).digest("hex")}`;
  }

  async call<T>(c: Call): Promise<T> {
    return (await this.send<T>(c)).data;
  }

  private async send<T>(c: Call): Promise<{ data: T; replayed: boolean }> {
    // A request is safe to repeat if the method is idempotent or it carries an Idempotency-Key.
    const repeatable = c.method !== "POST" || c.idempotencyKey !== undefined;
    for (let attempt = 0; ; attempt++) {
      let res: AxiosResponse;
      try {
        res = await this.http.request({
          method: c.method,
          url: c.path,
          data: c.body,
          headers: c.idempotencyKey ? { "idempotency-key": c.idempotencyKey } : undefined,
        });
      } catch (e) {
        // axios wraps every network failure in an AxiosError that keeps the socket's code.
        const code = axios.isAxiosError(e) ? e.code : undefined;
        // A refused connection never reached the server, so even a bare POST may be retried.
        const retry = code !== undefined && TRANSIENT_NETWORK.has(code) && (repeatable || code === "ECONNREFUSED");
        if (retry && attempt < this.retries) {
          await sleep(this.backoffMs * 2 ** attempt);
          continue;
        }
        throw new Error(
          `keyplane: cannot reach ${this.http.defaults.baseURL} (${code ?? (e instanceof Error ? e.message : "network error")})`,
        );
      }
      if (TRANSIENT_STATUS.has(res.status) && repeatable && attempt < this.retries) {
        const retryAfter = Number(res.headers["retry-after"]);
        await sleep(
          Number.isFinite(retryAfter) && retryAfter >= 0
            ? Math.min(retryAfter, 30) * 1000
            : this.backoffMs * 2 ** attempt,
        );
        continue;
      }
      if (res.status >= 400) {
        const body = schemas.ErrorBody.safeParse(res.data);
        // Which credential was refused (never its value), so an operator knows what to rotate.
        const who = res.status === 401 ? ` (the token from ${this.tokenSource})` : "";
        if (body.success)
          throw new KeyplaneApiError(
            res.status,
            body.data.error.code,
            body.data.error.message + who,
            body.data.error.details,
          );
        throw new KeyplaneApiError(res.status, "unexpected", `unexpected answer from ${c.method} ${c.path}${who}`);
      }
      const replayed = res.headers["idempotent-replayed"] === "true";
      if (!c.response) return { data: undefined as T, replayed };
      const parsed = c.response.safeParse(res.data);
      if (!parsed.success)
        throw new Error(
          `keyplane: the server's answer to ${c.method} ${c.path} does not match the v1 contract: ${parsed.error.issues[0]?.message}`,
        );
      return { data: parsed.data as T, replayed };
    }
  }

  /** Same as call, but a 404 is `undefined`: what read needs to notice out-of-band deletes. */
  async find<T>(c: Call): Promise<T | undefined> {
    try {
      return await this.call<T>(c);
    } catch (e) {
      if (e instanceof KeyplaneApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  /** A create; `replayed` when the server answered an earlier request with the same Idempotency-Key. */
  create<T>(
    path: string,
    body: unknown,
    response: z.ZodType,
    idempotencyKey: string,
  ): Promise<{ data: T; replayed: boolean }> {
    return this.send<T>({ method: "POST", path, body, response, idempotencyKey });
  }
}
