import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROUTES } from "@keyplane/api";
import fc from "fast-check";
import { ADMIN_TOKEN, spawnReplicas, spawnServer } from "../../harness/spawn-server";
import { admin, burst, gateway, seedKey, seedProject } from "../helpers/http";
import { DIALECTS, startTestServer } from "../helpers/server";

/** `n` concurrent calls spread over `urls`, counted by outcome. */
async function spend(urls: string[], key: string, n: number) {
  const results = await burst(n, (i) => gateway(urls[i % urls.length], key, { content: "x", keyHeader: "x-api-key" }));
  if (!results.some((r) => r.status === 200))
    console.error("burst sample:", results[0].status, JSON.stringify(results[0].data));
  return {
    ok: results.filter((r) => r.status === 200).length,
    exhausted: results.filter((r) => r.data?.error?.code === "exhausted_key").length,
  };
}

describe("server under load, crashes and random input", function () {
  this.timeout(300_000);

  it("spends numUses exactly under 200 concurrent calls (SQLite)", async () => {
    const s = await spawnServer(["--data-dir", mkdtempSync(join(tmpdir(), "kp-conc-"))]);
    try {
      const { secret } = await seedKey(admin(s.url), { numUses: 37, deploymentAccess: "all" });
      assert.deepEqual(await spend([s.url], secret, 200), { ok: 37, exhausted: 163 });
    } finally {
      s.proc.kill("SIGTERM");
    }
  });

  it("spends numUses exactly across two server processes on one PostgreSQL", async () => {
    const {
      replicas: [a, b],
      stop,
    } = await spawnReplicas();
    try {
      const { secret } = await seedKey(admin(a.url), { numUses: 53, deploymentAccess: "all" });
      assert.deepEqual(await spend([a.url, b.url], secret, 200), { ok: 53, exhausted: 147 });
    } finally {
      await stop();
    }
  });

  it("keeps every acknowledged create across a SIGKILL mid-burst", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kp-kill-"));
    let s = await spawnServer(["--data-dir", dir]);
    const a = admin(s.url);
    const p = await a.post("/v1/projects", { name: "crash" });
    const acknowledged: string[] = [];
    let stop = false;
    const writers = burst(8, async (w) => {
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
    await writers;
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
      const { keys } = await seedProject(admin(s.url), {
        name: "logs",
        secrets: { sec: { useCase: "huggingface", value: { token: "hf_LOGSECRETVALUE" } } },
        keys: { k: { deploymentAccess: "all" } },
      });
      await gateway(s.url, keys.k.secret, { model: "none", content: "x" });
      await new Promise((r) => setTimeout(r, 200));
      const logs = s.logs();
      assert.ok(logs.includes("request completed"), "the server logged requests");
      assert.ok(!logs.includes(keys.k.secret));
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
        const p = await seedProject(s.admin, {
          name: "fuzz",
          secrets: { sec: { useCase: "generic", value: { data: { a: "b" } } } },
          deployments: { dep: {} },
          keys: { k: {} },
        });
        const params: Record<string, string> = {
          projectId: p.projectId,
          id: p.keys.k.id,
          deploymentId: p.deployments.dep,
        };
        const body = fc.oneof(
          fc.anything(),
          fc.dictionary(
            fc.constantFrom(
              "name",
              "model",
              "ttl",
              "expiresAt",
              "numUses",
              "labels",
              "useCase",
              "value",
              "scope",
              "increment",
              "messages",
              "status",
              "upstreamUrl",
            ),
            fc.anything(),
          ),
        );
        await fc.assert(
          fc.asyncProperty(fc.constantFrom(...ROUTES), body, fc.boolean(), async (route, payload, asAdmin) => {
            const url = route.url.replace(/:([A-Za-z]+)/g, (_m, name) =>
              name === "id" && route.url.includes("/secrets/") ? p.secrets.sec : params[name],
            );
            const r = await (asAdmin ? s.admin : s.http).request({
              method: route.method,
              url,
              data: payload === undefined ? undefined : JSON.stringify(payload),
              headers: { "content-type": "application/json" },
            });
            assert.ok(
              r.status < 500,
              `${route.method} ${url} ${JSON.stringify(payload)} -> ${r.status} ${JSON.stringify(r.data)}`,
            );
          }),
          { numRuns: 400 },
        );
      } finally {
        await s.close();
      }
    });
  }
});
