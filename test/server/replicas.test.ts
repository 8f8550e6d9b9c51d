import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AxiosResponse } from "axios";
import { type DedicatedCluster, freshPostgresDatabase, startDedicatedPostgres } from "../helpers/postgres";
import { startTestServer, type TestServer } from "../helpers/server";

/** Two replicas (servers with one data dir, so one master key) on one PostgreSQL database. */
async function twoReplicas(databaseUrl: string): Promise<[TestServer, TestServer]> {
  const dataDir = mkdtempSync(join(tmpdir(), "kp-replicas-"));
  const a = await startTestServer("postgres", { server: { dataDir, databaseUrl } });
  const b = await startTestServer("postgres", { server: { dataDir, databaseUrl } });
  return [a, b];
}

/** A project with one running deployment "dep" and a key bound to it. */
async function setup(s: TestServer, key: Record<string, unknown> = {}) {
  const p = await s.admin.post("/v1/projects", { name: `p${Math.random().toString(36).slice(2, 10)}` });
  assert.equal(p.status, 201);
  const d = await s.admin.post(`/v1/projects/${p.data.id}/deployments`, { name: "dep", model: "m" });
  assert.equal(d.status, 201);
  const k = await s.admin.post(`/v1/projects/${p.data.id}/api-keys`, { name: "k", ...key });
  assert.equal(k.status, 201, JSON.stringify(k.data));
  const bound = await s.admin.put(`/v1/projects/${p.data.id}/api-keys/${k.data.id}/deployments/${d.data.id}`);
  assert.ok(bound.status < 300, JSON.stringify(bound.data));
  return { projectId: p.data.id as string, deploymentId: d.data.id as string, keyId: k.data.id as string, secret: k.data.secret as string };
}

const chat = (s: TestServer, secret: string) =>
  s.http.post("/v1/chat/completions", { model: "dep", messages: [{ role: "user", content: "hi" }] }, { headers: { authorization: `Bearer ${secret}` } });

describe("replicas on one PostgreSQL", function () {
  this.timeout(300_000);

  describe("while PostgreSQL is down", () => {
    let cluster: DedicatedCluster;
    before(async () => {
      cluster = await startDedicatedPostgres();
    });
    after(() => cluster.stop());

    it("answers every route 503 unavailable with Retry-After, and the first call after its return succeeds", async () => {
      const db = await freshPostgresDatabase(cluster);
      const replicas = await twoReplicas(db.url);
      try {
        const { projectId, keyId, secret } = await setup(replicas[0]);
        const calls = (s: TestServer): [string, () => Promise<AxiosResponse>][] => [
          ["chat", () => chat(s, secret)],
          ["models", () => s.http.get("/v1/models", { headers: { authorization: `Bearer ${secret}` } })],
          ["get key", () => s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}`)],
          ["list projects", () => s.admin.get("/v1/projects")],
          ["create deployment", () => s.admin.post(`/v1/projects/${projectId}/deployments`, { name: `d${Math.random().toString(36).slice(2, 8)}`, model: "m" })],
          ["usage", () => s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/usage`)],
        ];
        // Warm: every route answers, and the gateway has seen the key.
        for (const s of replicas) for (const [what, call] of calls(s)) assert.ok((await call()).status < 300, what);

        cluster.halt();
        for (let round = 0; round < 3; round++) {
          for (const [i, s] of replicas.entries()) {
            for (const [what, call] of calls(s)) {
              const r = await call();
              assert.equal(r.status, 503, `replica ${i} ${what}: ${r.status} ${JSON.stringify(r.data)}`);
              assert.equal(r.data.error.code, "unavailable");
              assert.match(String(r.headers["retry-after"]), /^[1-9]\d*$/);
            }
          }
          await new Promise((r) => setTimeout(r, 300));
        }
        cluster.resume();
        for (const [i, s] of replicas.entries()) {
          const first = await chat(s, secret);
          assert.equal(first.status, 200, `replica ${i}, first call after the return: ${JSON.stringify(first.data)}`);
          for (const [what, call] of calls(s)) assert.ok((await call()).status < 300, `replica ${i} ${what} after the return`);
        }
      } finally {
        for (const s of replicas) await s.close().catch(() => undefined);
      }
    });
  });
});
