import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axios from "axios";
import fc from "fast-check";
import { ROUTES } from "@keyplane/api";
import { freshPostgresDatabase } from "../../harness/postgres";
import { ADMIN_TOKEN, DIALECTS, startTestServer } from "../helpers/server";
import { spawnServer } from "../../harness/spawn-server";

const admin = (url: string) => axios.create({ baseURL: url, validateStatus: () => true, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

async function setupKey(url: string, numUses: number) {
  const a = admin(url);
  const p = await a.post("/v1/projects", { name: `p${Date.now()}` });
  await a.post(`/v1/projects/${p.data.id}/deployments`, { name: "dep", model: "m" });
  const k = await a.post(`/v1/projects/${p.data.id}/api-keys`, { name: "k", numUses, deploymentAccess: "all" });
  return k.data.secret as string;
}

async function burst(urls: string[], key: string, n: number) {
  const results = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      axios.post(
        `${urls[i % urls.length]}/v1/chat/completions`,
        { model: "dep", messages: [{ role: "user", content: "x" }] },
        { headers: { "x-api-key": key }, validateStatus: () => true },
      ),
    ),
  );
  if (!results.some((r) => r.status === 200)) console.error("burst sample:", results[0].status, JSON.stringify(results[0].data));
  return { ok: results.filter((r) => r.status === 200).length, exhausted: results.filter((r) => r.data?.error?.code === "exhausted_key").length };
}

describe("server under load, crashes and random input", function () {
  this.timeout(300_000);

  it("spends numUses exactly under 200 concurrent calls (SQLite)", async () => {
    const s = await spawnServer(["--data-dir", mkdtempSync(join(tmpdir(), "kp-conc-"))]);
    try {
      const key = await setupKey(s.url, 37);
      assert.deepEqual(await burst([s.url], key, 200), { ok: 37, exhausted: 163 });
    } finally {
      s.proc.kill("SIGTERM");
    }
  });

  it("spends numUses exactly across two server processes on one PostgreSQL", async () => {
    const db = await freshPostgresDatabase();
    const dir = mkdtempSync(join(tmpdir(), "kp-pg-"));
    const a = await spawnServer(["--data-dir", dir, "--database-url", db.url]);
    const b = await spawnServer(["--data-dir", dir, "--database-url", db.url]);
    try {
      const key = await setupKey(a.url, 53);
      assert.deepEqual(await burst([a.url, b.url], key, 200), { ok: 53, exhausted: 147 });
    } finally {
      a.proc.kill("SIGTERM");
      b.proc.kill("SIGTERM");
    }
  });

  it("keeps every acknowledged create across a SIGKILL mid-burst", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kp-kill-"));
    let s = await spawnServer(["--data-dir", dir]);
    const a = admin(s.url);
    const p = await a.post("/v1/projects", { name: "crash" });
    const acknowledged: string[] = [];
    let stop = false;
    const writers = Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await a.post(`/v1/projects/${p.data.id}/deployments`, { name: `d-${w}-${i}`, model: "m" });
          if (r.status === 201) acknowledged.push(r.data.id);
        } catch {
          return; // the server is gone
        }
      }
    });
    await new Promise((r) => setTimeout(r, 700));
    s.proc.kill("SIGKILL");
    stop = true;
    await Promise.all(writers);
    assert.ok(acknowledged.length > 10, `only ${acknowledged.length} creates before the kill`);
    s = await spawnServer(["--data-dir", dir]);
    try {
      const list = await admin(s.url).get(`/v1/projects/${p.data.id}/deployments`);
      const present = new Set(list.data.items.map((d: any) => d.id));
      const lost = acknowledged.filter((id) => !present.has(id));
      assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} acknowledged creates lost`);
    } finally {
      s.proc.kill("SIGTERM");
    }
  });

  it("logs no key and no secret value", async () => {
    const s = await spawnServer(["--data-dir", mkdtempSync(join(tmpdir(), "kp-logs-"))]);
    try {
      const a = admin(s.url);
      const p = await a.post("/v1/projects", { name: "logs" });
      const k = await a.post(`/v1/projects/${p.data.id}/api-keys`, { name: "k", deploymentAccess: "all" });
      await a.post(`/v1/projects/${p.data.id}/secrets`, { name: "s", useCase: "huggingface", value: { token: "hf_LOGSECRETVALUE" } });
      await axios.post(
        `${s.url}/v1/chat/completions`,
        { model: "none", messages: [{ role: "user", content: "x" }] },
        { headers: { authorization: `Bearer ${k.data.secret}` }, validateStatus: () => true },
      );
      await new Promise((r) => setTimeout(r, 200));
      const logs = s.logs();
      assert.ok(logs.includes("request completed"), "the server logged requests");
      assert.ok(!logs.includes(k.data.secret));
      assert.ok(!logs.includes("LOGSECRETVALUE"));
      assert.ok(!logs.includes(ADMIN_TOKEN));
    } finally {
      s.proc.kill("SIGTERM");
    }
  });

  for (const dialect of DIALECTS) {
    it(`answers random bodies on every route without a 5xx (${dialect})`, async () => {
      const s = await startTestServer(dialect);
      try {
        const p = await s.admin.post("/v1/projects", { name: "fuzz" });
        const d = await s.admin.post(`/v1/projects/${p.data.id}/deployments`, { name: "dep", model: "m" });
        const k = await s.admin.post(`/v1/projects/${p.data.id}/api-keys`, { name: "k" });
        const sec = await s.admin.post(`/v1/projects/${p.data.id}/secrets`, { name: "sec", useCase: "generic", value: { data: { a: "b" } } });
        const params: Record<string, string> = { projectId: p.data.id, id: k.data.id, deploymentId: d.data.id };
        const body = fc.oneof(
          fc.anything(),
          fc.dictionary(
            fc.constantFrom("name", "model", "ttl", "expiresAt", "numUses", "labels", "useCase", "value", "scope", "increment", "messages", "status", "upstreamUrl"),
            fc.anything(),
          ),
        );
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...ROUTES), body, fc.boolean(), async (route, payload, asAdmin) => {
            const url = route.url.replace(/:([A-Za-z]+)/g, (_m, name) => (name === "id" && route.url.includes("/secrets/") ? sec.data.id : params[name]));
            const r = await (asAdmin ? s.admin : s.http).request({
              method: route.method,
              url,
              data: payload === undefined ? undefined : JSON.stringify(payload),
              headers: { "content-type": "application/json" },
            });
            assert.ok(r.status < 500, `${route.method} ${url} ${JSON.stringify(payload)} -> ${r.status} ${JSON.stringify(r.data)}`);
          }),
          { numRuns: 400 },
        );
      } finally {
        await s.close();
      }
    });
  }
});
