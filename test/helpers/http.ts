import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import axios, { type AxiosInstance, type AxiosResponse } from "axios";
import { ADMIN_TOKEN, listeningUrl } from "../../harness/spawn-server";

// The one HTTP harness of the suites: clients, seeded projects, gateway calls and bursts,
// over the real API of whichever server (in process or spawned) a test runs.

/** A management client of the server at `url` holding `token`; every status is an answer, not a throw. */
export const client = (url: string, token: string): AxiosInstance =>
  axios.create({ baseURL: url, validateStatus: () => true, headers: { authorization: `Bearer ${token}` } });

/** The admin's management client. */
export const admin = (url: string, token = ADMIN_TOKEN): AxiosInstance => client(url, token);

export interface GatewayCall {
  /** The deployment name (default "dep"). */
  model?: string;
  /** The user message (default "hi"). */
  content?: string;
  /** Where the key goes (default Authorization: Bearer). */
  keyHeader?: "authorization" | "x-api-key";
  headers?: Record<string, string>;
}

/** A chat completion through the gateway at `url` with `key` (none: no key sent). */
export function gateway(url: string, key: string | undefined, call: GatewayCall = {}): Promise<AxiosResponse> {
  const auth: Record<string, string> =
    key === undefined ? {} : call.keyHeader === "x-api-key" ? { "x-api-key": key } : { authorization: `Bearer ${key}` };
  return axios.post(
    `${url}/v1/chat/completions`,
    { model: call.model ?? "dep", messages: [{ role: "user", content: call.content ?? "hi" }] },
    { headers: { ...auth, ...call.headers }, validateStatus: () => true },
  );
}

/** Asserts an error answer: its status and its `error.code`. */
export function assertRefused(r: AxiosResponse, status: number, code: string): void {
  assert.equal(r.status, status, JSON.stringify(r.data));
  assert.equal(r.data?.error?.code, code);
}

/** `n` calls at once; `call(i)` makes the i-th. */
export const burst = <T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: n }, (_, i) => call(i)));

/** A created key as the API answers it (its secret shown this once). */
export type CreatedKey = { id: string; secret: string } & Record<string, any>;

/** POST an api key (name "k" unless given), asserting it was made. */
export async function createKey(
  api: AxiosInstance,
  projectId: string,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<CreatedKey> {
  const r = await api.post(`/v1/projects/${projectId}/api-keys`, { name: "k", ...body }, { headers });
  assert.equal(r.status, 201, JSON.stringify(r.data));
  return r.data;
}

export interface SeedSpec {
  /** Default: a random slug. */
  name?: string;
  description?: string;
  /** Secrets by name (the request body without `name`), made first. */
  secrets?: Record<string, Record<string, unknown>>;
  /** Deployments by name (model "m" unless given); an `upstreamSecret` naming a seeded secret gets its id. */
  deployments?: Record<string, Record<string, unknown>>;
  /** Keys by name; `bind` lists the deployments each is bound to. */
  keys?: Record<string, Record<string, unknown> & { bind?: string[] }>;
}

export interface Seeded {
  projectId: string;
  /** `/v1/projects/<projectId>` */
  base: string;
  secrets: Record<string, string>;
  deployments: Record<string, string>;
  keys: Record<string, CreatedKey>;
}

/** A project with its secrets, deployments, keys and bindings, made through `api` and asserted at each step. */
export async function seedProject(api: AxiosInstance, spec: SeedSpec = {}): Promise<Seeded> {
  const p = await api.post("/v1/projects", {
    name: spec.name ?? `p${Math.random().toString(36).slice(2, 10)}`,
    description: spec.description,
  });
  assert.equal(p.status, 201, JSON.stringify(p.data));
  const base = `/v1/projects/${p.data.id}`;
  const made = async (path: string, body: Record<string, unknown>) => {
    const r = await api.post(`${base}/${path}`, body);
    assert.equal(r.status, 201, JSON.stringify(r.data));
    return r.data.id as string;
  };
  const seeded: Seeded = { projectId: p.data.id, base, secrets: {}, deployments: {}, keys: {} };
  for (const [name, body] of Object.entries(spec.secrets ?? {}))
    seeded.secrets[name] = await made("secrets", { name, ...body });
  for (const [name, body] of Object.entries(spec.deployments ?? {})) {
    const upstreamSecret =
      typeof body.upstreamSecret === "string"
        ? (seeded.secrets[body.upstreamSecret] ?? body.upstreamSecret)
        : body.upstreamSecret;
    seeded.deployments[name] = await made("deployments", {
      name,
      model: "m",
      ...body,
      ...(upstreamSecret === undefined ? {} : { upstreamSecret }),
    });
  }
  for (const [name, { bind = [], ...body }] of Object.entries(spec.keys ?? {})) {
    const key = await createKey(api, seeded.projectId, { name, ...body });
    seeded.keys[name] = key;
    for (const dep of bind) {
      const r = await api.put(`${base}/api-keys/${key.id}/deployments/${seeded.deployments[dep]}`);
      assert.ok(r.status < 300, JSON.stringify(r.data));
    }
  }
  return seeded;
}

/** The common case: a project with one running deployment "dep" and one key "k" (`key` is its body, `bind` included). */
export async function seedKey(api: AxiosInstance, key: Record<string, unknown> & { bind?: string[] } = {}) {
  const seeded = await seedProject(api, { deployments: { dep: {} }, keys: { k: key } });
  const k = seeded.keys.k;
  return {
    projectId: seeded.projectId,
    base: seeded.base,
    deploymentId: seeded.deployments.dep,
    keyId: k.id,
    secret: k.secret,
    key: k,
  };
}

/** Console sign-in (the custom header by default; pass others, or none, to test the refusals). */
export const signIn = (
  http: AxiosInstance,
  token: string,
  headers: Record<string, string> = { "x-keyplane-csrf": "sign-in" },
) => http.post("/console/api/session", { token }, { headers });

/** The session cookie a sign-in set, as a Cookie header value. */
export const cookieOf = (r: { headers: Record<string, any> }) => String(r.headers["set-cookie"]![0]).split(";")[0];

/** Asserts that a `keyplane-server` child, once it says where it listens, answers /readyz ready. */
export async function assertReady(child: ChildProcess): Promise<void> {
  const ready = await fetch(`${await listeningUrl(child)}/readyz`);
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
}
