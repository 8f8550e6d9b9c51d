import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AxiosInstance, AxiosResponse } from "axios";
import SqliteDatabase from "better-sqlite3";
import OpenAI from "openai";
import pg from "pg";
import { startRedis } from "../../harness/redis";
import { spawnReplicas } from "../../harness/spawn-server";
import { admin, burst, gateway, seedKey } from "../helpers/http";
import { DIALECTS, startTestServer, type TestServer } from "../helpers/server";

/** A project with one running deployment "dep" and a key that may call it. */
const setup = (api: AxiosInstance, key: Record<string, unknown> = {}) =>
  seedKey(api, { deploymentAccess: "all", ...key });

/** Admitted and rate-limited answers of a burst; every 429 must carry a whole-second Retry-After within the window. */
function tally(results: AxiosResponse[], windowSeconds: number) {
  const limited = results.filter((r) => r.status === 429);
  for (const r of limited) {
    assert.equal(r.data.error.code, "rate_limited");
    const retry = Number(r.headers["retry-after"]);
    assert.ok(
      Number.isInteger(retry) && retry >= 1 && retry <= windowSeconds,
      `Retry-After ${r.headers["retry-after"]}`,
    );
  }
  const other = results.filter((r) => r.status !== 200 && r.status !== 429);
  assert.deepEqual(
    other.map((r) => r.data),
    [],
    "only 200 and 429 answers",
  );
  return { ok: results.filter((r) => r.status === 200).length, limited: limited.length };
}

describe("per-key limits and usage", function () {
  this.timeout(300_000);

  it("admits exactly `limit` calls of 200 concurrent ones in one window (SQLite, in-process), then a new window opens", async () => {
    const s = await startTestServer("sqlite");
    try {
      const { secret } = await setup(s.admin, { rateLimit: { limit: 37, window: "1m" } });
      assert.deepEqual(tally(await burst(200, () => gateway(s.url, secret)), 60), { ok: 37, limited: 163 });
      s.clock.advance(59_000);
      const still = await gateway(s.url, secret);
      assert.equal(still.status, 429);
      assert.equal(still.headers["retry-after"], "1");
      s.clock.advance(1_000);
      assert.deepEqual(tally(await burst(50, () => gateway(s.url, secret)), 60), { ok: 37, limited: 13 });
    } finally {
      await s.close();
    }
  });

  it("shares the limit across two server processes on one PostgreSQL through Redis", async () => {
    const redis = await startRedis();
    const { replicas, stop } = await spawnReplicas(["--redis-url", redis.url]);
    try {
      const { secret } = await setup(admin(replicas[0].url), { rateLimit: { limit: 53, window: "1h" } });
      assert.deepEqual(tally(await burst(200, (i) => gateway(replicas[i % 2].url, secret)), 3600), {
        ok: 53,
        limited: 147,
      });
    } finally {
      await stop();
      await redis.stop();
    }
  });

  it("without Redis, each PostgreSQL replica counts its own calls (the README's per-replica limit)", async () => {
    const { replicas, stop } = await spawnReplicas();
    try {
      const { secret } = await setup(admin(replicas[0].url), { rateLimit: { limit: 10, window: "1h" } });
      assert.deepEqual(tally(await burst(60, (i) => gateway(replicas[i % 2].url, secret)), 3600), {
        ok: 20,
        limited: 40,
      });
    } finally {
      await stop();
    }
  });

  for (const dialect of DIALECTS) {
    describe(dialect, () => {
      let s: TestServer;
      before(async () => {
        s = await startTestServer(dialect, {
          server: { trustedProxies: ["127.0.0.1"], accessLogRetentionMs: 3_600_000, accessLogSweepMs: 50 },
        });
      });
      after(() => s.close());

      it("disable: disabled_key from the very next call; enable: 200 again", async () => {
        const { projectId, keyId, secret } = await setup(s.admin);
        assert.equal((await gateway(s.url, secret)).status, 200);
        const off = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${keyId}`, { enabled: false });
        assert.equal(off.status, 200);
        assert.equal(off.data.enabled, false);
        const refused = await gateway(s.url, secret);
        assert.equal(refused.status, 401);
        assert.equal(refused.data.error.code, "disabled_key");
        const on = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${keyId}`, { enabled: true });
        assert.equal(on.data.enabled, true);
        assert.equal((await gateway(s.url, secret)).status, 200);
        const created = await s.admin.post(`/v1/projects/${projectId}/api-keys`, {
          name: "off",
          enabled: false,
          deploymentAccess: "all",
        });
        assert.equal((await gateway(s.url, created.data.secret)).data.error.code, "disabled_key");
      });

      it("allowedCidrs: IPv4 allow and refuse, IPv6 through a trusted proxy, the rightmost untrusted hop", async () => {
        const local = await setup(s.admin, { allowedCidrs: ["127.0.0.0/8"] });
        assert.equal((await gateway(s.url, local.secret)).status, 200);
        const elsewhere = await setup(s.admin, { allowedCidrs: ["10.0.0.0/8", "2001:db8::/32"] });
        const refused = await gateway(s.url, elsewhere.secret);
        assert.equal(refused.status, 403);
        assert.equal(refused.data.error.code, "ip_not_allowed");
        // 127.0.0.1 is this server's trusted proxy: X-Forwarded-For names the client.
        assert.equal(
          (await gateway(s.url, elsewhere.secret, { headers: { "x-forwarded-for": "10.1.2.3" } })).status,
          200,
        );
        assert.equal(
          (await gateway(s.url, elsewhere.secret, { headers: { "x-forwarded-for": "2001:db8::5" } })).status,
          200,
        );
        assert.equal(
          (await gateway(s.url, elsewhere.secret, { headers: { "x-forwarded-for": "2001:db9::5" } })).status,
          403,
        );
        // A client cannot pass itself off by prepending an allowed address: the hop the proxy saw counts.
        assert.equal(
          (await gateway(s.url, elsewhere.secret, { headers: { "x-forwarded-for": "10.0.0.1, 192.0.2.7" } })).status,
          403,
        );
        assert.equal(
          (await gateway(s.url, elsewhere.secret, { headers: { "x-forwarded-for": "192.0.2.7, 10.0.0.1, 127.0.0.1" } }))
            .status,
          200,
        );
        const patched = await s.admin.patch(`/v1/projects/${elsewhere.projectId}/api-keys/${elsewhere.keyId}`, {
          allowedCidrs: [],
        });
        assert.deepEqual(patched.data.allowedCidrs, []);
        assert.equal((await gateway(s.url, elsewhere.secret)).status, 200, "an empty list allows every address");
      });

      it("counts usage per key and deployment (requests and tokens) and lastUsedAt; per-project counters in /metrics", async () => {
        const { projectId, keyId, deploymentId, secret } = await setup(s.admin, {
          rateLimit: { limit: 30, window: "1h" },
        });
        const results = await burst(45, () => gateway(s.url, secret, { content: "twelve chars" }));
        assert.deepEqual(tally(results, 3600), { ok: 30, limited: 15 });
        const usage = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/usage`);
        assert.equal(usage.status, 200);
        const day = new Date(s.clock.now).toISOString().slice(0, 10);
        // The reference model reports the prompt's length and the answer's ("echo: " + prompt).
        const counts = { requests: 30, promptTokens: 30 * 12, completionTokens: 30 * 18 };
        assert.deepEqual(usage.data.totals, counts);
        assert.deepEqual(usage.data.deployments, [
          { deploymentId, deployment: "dep", ...counts, days: [{ day, ...counts }] },
        ]);
        assert.equal(usage.data.lastUsedAt, new Date(s.clock.now).toISOString());
        const key = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}`);
        assert.equal(key.data.lastUsedAt, new Date(s.clock.now).toISOString());
        const metrics = (await s.http.get("/metrics")).data as string;
        assert.match(
          metrics,
          new RegExp(`keyplane_project_gateway_calls_total\\{project="${projectId}",outcome="ok"\\} 30\\n`),
        );
        assert.match(
          metrics,
          new RegExp(`keyplane_project_gateway_calls_total\\{project="${projectId}",outcome="rate_limited"\\} 15\\n`),
        );
        assert.match(
          metrics,
          new RegExp(`keyplane_project_tokens_total\\{project="${projectId}",kind="completion"\\} ${30 * 18}\\n`),
        );
      });

      it("access log: every call of a burst with its outcome and client; project view filters by outcome; entries past retention are forgotten", async () => {
        const { projectId, keyId, secret } = await setup(s.admin, { rateLimit: { limit: 7, window: "1h" } });
        const since = new Date(s.clock.now).toISOString();
        assert.deepEqual(tally(await burst(20, () => gateway(s.url, secret)), 3600), { ok: 7, limited: 13 });
        await gateway(s.url, "kp_notakey");
        const log = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/access-log`, { params: { since } });
        assert.equal(log.status, 200);
        assert.equal(log.data.items.length, 20);
        const outcomes = log.data.items.map((e: any) => `${e.outcome}:${e.status}`).sort();
        assert.deepEqual(outcomes, [...Array(7).fill("ok:200"), ...Array(13).fill("rate_limited:429")]);
        for (const e of log.data.items) {
          assert.equal(e.apiKeyId, keyId);
          assert.equal(e.deployment, "dep");
          assert.equal(e.clientAddress, "127.0.0.1");
        }
        // After a revoke (what one does first with a leaked key) its log and usage stay readable.
        assert.equal((await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`)).status, 204);
        assert.equal((await gateway(s.url, secret)).data.error.code, "revoked_key");
        const afterRevoke = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/access-log`, {
          params: { since },
        });
        assert.equal(afterRevoke.data.items.length, 21);
        assert.equal(afterRevoke.data.items[0].outcome, "revoked_key", "newest first");
        assert.equal((await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/usage`)).data.totals.requests, 7);
        const keyOk = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/access-log`, {
          params: { outcome: "ok", limit: 5 },
        });
        assert.deepEqual(
          keyOk.data.items.map((e: any) => e.outcome),
          Array(5).fill("ok"),
        );
        const limited = await s.admin.get(`/v1/projects/${projectId}/access-log`, {
          params: { outcome: "rate_limited" },
        });
        assert.equal(limited.data.items.length, 13);
        assert.ok(limited.data.items.every((e: any) => e.outcome === "rate_limited"));
        const bad = await s.admin.get(`/v1/projects/${projectId}/access-log`, { params: { outcome: "Not A Code" } });
        assert.equal(bad.status, 400);
        assert.equal(bad.data.error.details[0].path, "query.outcome");

        s.clock.advance(3_600_001);
        assert.deepEqual((await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/access-log`)).data.items, []);
        // The sweep deletes them too (it runs every 50 ms in this server).
        let left = Infinity;
        for (let i = 0; i < 200 && left > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
          left = (await s.store.db.selectFrom("access_log").select("id").where("api_key_id", "=", keyId).execute())
            .length;
        }
        assert.equal(left, 0);
      });

      it("revoke with a grace period: the key works until it passes, then expired_key; audited as such", async () => {
        const { projectId, keyId, secret } = await setup(s.admin, { ttl: "1h" });
        const tooLong = await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`, {
          params: { gracePeriod: "2h" },
        });
        assert.equal(tooLong.status, 400);
        assert.equal(tooLong.data.error.details[0].path, "query.gracePeriod");
        const badDuration = await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`, {
          params: { gracePeriod: "soon" },
        });
        assert.equal(badDuration.data.error.details[0].path, "query.gracePeriod");
        assert.equal(
          (await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`, { params: { gracePeriod: "10m" } }))
            .status,
          204,
        );
        assert.equal(
          (await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`, { params: { gracePeriod: "10m" } }))
            .status,
          204,
          "a retried revoke is fine",
        );
        const key = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}`);
        assert.equal(key.data.expiresAt, new Date(s.clock.now + 600_000).toISOString());
        assert.equal((await gateway(s.url, secret)).status, 200);
        const audit = await s.admin.get(`/v1/projects/${projectId}/audit`);
        const revoke = audit.data.items.find((e: any) => e.action === "api_key.revoke");
        assert.equal(revoke.details.gracePeriod, "10m");
        assert.equal(revoke.details.expiresAt, key.data.expiresAt);
        s.clock.advance(599_000);
        assert.equal((await gateway(s.url, secret)).status, 200);
        s.clock.advance(1_000);
        const expired = await gateway(s.url, secret);
        assert.equal(expired.status, 401);
        assert.equal(expired.data.error.code, "expired_key");
      });

      it("a project whose keys are all in their grace can be deleted (a destroy), and the grace ends with it", async () => {
        const { projectId, deploymentId, keyId, secret } = await setup(s.admin, { ttl: "1h" });
        assert.equal(
          (await s.admin.delete(`/v1/projects/${projectId}/api-keys/${keyId}`, { params: { gracePeriod: "10m" } }))
            .status,
          204,
        );
        assert.equal(
          (await s.admin.delete(`/v1/projects/${projectId}`)).data.error.code,
          "project_not_empty",
          "its deployment is still there",
        );
        assert.equal((await s.admin.delete(`/v1/projects/${projectId}/deployments/${deploymentId}`)).status, 204);
        assert.equal((await s.admin.delete(`/v1/projects/${projectId}`)).status, 204);
        assert.equal((await gateway(s.url, secret)).data.error.code, "revoked_key");
      });

      it("refuses bad limits, windows and CIDRs with the field named, on create and on update", async () => {
        const { projectId, keyId } = await setup(s.admin);
        const cases: [Record<string, unknown>, string][] = [
          [{ rateLimit: { limit: 0, window: "1m" } }, "rateLimit.limit"],
          [{ rateLimit: { limit: -5, window: "1m" } }, "rateLimit.limit"],
          [{ rateLimit: { limit: 10, window: "0" } }, "rateLimit.window"],
          [{ rateLimit: { limit: 10, window: "2d" } }, "rateLimit.window"],
          [{ rateLimit: { limit: 10, window: "minute" } }, "rateLimit.window"],
          [{ allowedCidrs: ["10.0.0.0/33"] }, "allowedCidrs.0"],
          [{ allowedCidrs: ["127.0.0.1", "2001:db8:::/32"] }, "allowedCidrs.1"],
          [{ allowedCidrs: ["300.1.1.1/8"] }, "allowedCidrs.0"],
        ];
        for (const [body, path] of cases) {
          const created = await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "bad", ...body });
          assert.equal(created.status, 400, JSON.stringify(body));
          assert.deepEqual(
            created.data.error.details.map((d: any) => d.path),
            [path],
          );
          const patched = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${keyId}`, body);
          assert.equal(patched.status, 400);
          assert.deepEqual(
            patched.data.error.details.map((d: any) => d.path),
            [path],
          );
        }
        const ok = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${keyId}`, {
          rateLimit: { limit: 600, window: "1m" },
          allowedCidrs: ["::1", "10.0.0.0/8"],
        });
        assert.deepEqual(
          [ok.data.rateLimit, ok.data.allowedCidrs],
          [{ limit: 600, window: "1m" }, ["::1", "10.0.0.0/8"]],
        );
        const cleared = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${keyId}`, { rateLimit: null });
        assert.equal(cleared.data.rateLimit, null);
      });
    });
  }

  it("counts the tokens of streamed answers (reference model and an upstream's SSE) and of an upstream's JSON answers", async () => {
    // An OpenAI-compatible upstream on loopback that reports its own usage, streamed or not.
    const upstream = createServer((req, res) => {
      let text = "";
      req.on("data", (d) => (text += d));
      req.on("end", () => {
        const body = JSON.parse(text);
        const usage = { prompt_tokens: 11, completion_tokens: 23, total_tokens: 34 };
        if (!body.stream) {
          res
            .writeHead(200, { "content-type": "application/json" })
            .end(
              JSON.stringify({ id: "u", object: "chat.completion", created: 1, model: body.model, choices: [], usage }),
            );
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = { id: "u", object: "chat.completion.chunk", created: 1, model: body.model };
        res.write(
          `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: "hi" }, finish_reason: null }] })}\n\n`,
        );
        // The usage chunk arrives cut in two, as a network may deliver it.
        const last = `data: ${JSON.stringify({ ...chunk, choices: [], usage })}\n\n`;
        res.write(last.slice(0, 40));
        setTimeout(() => res.end(`${last.slice(40)}data: [DONE]\n\n`), 20);
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const s = await startTestServer("sqlite");
    try {
      const { projectId, keyId, secret } = await setup(s.admin);
      // This server trusts no proxy: X-Forwarded-For cannot talk a call into an allowed range.
      const fenced = await setup(s.admin, { allowedCidrs: ["10.0.0.0/8"] });
      assert.equal(
        (await gateway(s.url, fenced.secret, { headers: { "x-forwarded-for": "10.1.1.1" } })).data.error.code,
        "ip_not_allowed",
      );
      const port = (upstream.address() as { port: number }).port;
      await s.admin.post(`/v1/projects/${projectId}/deployments`, {
        name: "up",
        model: "real-model",
        upstreamUrl: `http://127.0.0.1:${port}/v1`,
      });
      const openai = new OpenAI({ apiKey: secret, baseURL: `${s.url}/v1` });
      const expected = { requests: 0, promptTokens: 0, completionTokens: 0 };
      const add = (u: { prompt_tokens: number; completion_tokens: number } | null | undefined) => {
        expected.requests += 1;
        expected.promptTokens += u?.prompt_tokens ?? 0;
        expected.completionTokens += u?.completion_tokens ?? 0;
      };
      for (const [model, content] of [
        ["dep", "a streamed question"],
        ["dep", "another"],
        ["up", "to the upstream"],
      ]) {
        let usage: { prompt_tokens: number; completion_tokens: number } | undefined | null;
        const stream = await openai.chat.completions.create({
          model,
          messages: [{ role: "user", content }],
          stream: true,
          stream_options: { include_usage: true },
        });
        for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
        assert.ok(usage && usage.completion_tokens > 0, "the stream reported usage");
        add(usage);
      }
      const plain = await openai.chat.completions.create({
        model: "up",
        messages: [{ role: "user", content: "json" }],
      });
      add(plain.usage);
      const usage = await s.admin.get(`/v1/projects/${projectId}/api-keys/${keyId}/usage`);
      assert.deepEqual(usage.data.totals, expected);
      assert.deepEqual(usage.data.deployments.map((d: any) => [d.deployment, d.requests]).sort(), [
        ["dep", 2],
        ["up", 2],
      ]);
    } finally {
      await s.close();
      upstream.close();
    }
  });

  it("usage counted before a graceful shutdown is still there after the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kp-usage-"));
    // Writes every hour: only the shutdown can have written this burst's usage.
    let s = await startTestServer("sqlite", { server: { dataDir, usageFlushMs: 3_600_000 } });
    let ids: Awaited<ReturnType<typeof setup>>;
    try {
      ids = await setup(s.admin);
      const results = await burst(64, () => gateway(s.url, ids.secret, { content: "abc" }));
      assert.ok(results.every((r) => r.status === 200));
    } finally {
      await s.close();
    }
    s = await startTestServer("sqlite", { server: { dataDir } });
    try {
      const usage = await s.admin.get(`/v1/projects/${ids.projectId}/api-keys/${ids.keyId}/usage`);
      assert.deepEqual(usage.data.totals, { requests: 64, promptTokens: 64 * 3, completionTokens: 64 * 9 });
      const log = await s.admin.get(`/v1/projects/${ids.projectId}/api-keys/${ids.keyId}/access-log`);
      assert.equal(log.data.items.length, 64);
    } finally {
      await s.close();
    }
  });

  for (const dialect of DIALECTS) {
    it(`${dialect}: a write lock on the access log holds up no gateway call; its entries are written once the lock goes`, async () => {
      const s = await startTestServer(dialect);
      // The lock is taken where the log's thread writes: its own file on SQLite, the table on PostgreSQL.
      const lock =
        dialect === "sqlite"
          ? (() => {
              const file = new SqliteDatabase(join(s.dataDir, "access-log.db"));
              file.exec("begin immediate");
              return async () => {
                file.exec("commit");
                file.close();
              };
            })()
          : await (async () => {
              const c = new pg.Client({ connectionString: s.databaseUrl });
              await c.connect();
              await c.query("begin");
              await c.query("lock table access_log in exclusive mode");
              return async () => {
                await c.query("commit");
                await c.end();
              };
            })();
      try {
        const ids = await setup(s.admin);
        // Answered while the lock is held: not one of them waits for its log entry.
        const results = await burst(20, () => gateway(s.url, ids.secret, { content: "held" }));
        assert.deepEqual(
          results.map((r) => r.status),
          Array(20).fill(200),
        );
        // SQLite: held past the writer's busy timeout (5 s), so its first write fails and must be kept for the retry.
        if (dialect === "sqlite") await new Promise((r) => setTimeout(r, 6000));
        await lock();
        const log = await s.admin.get(`/v1/projects/${ids.projectId}/api-keys/${ids.keyId}/access-log`);
        assert.equal(log.data.items.length, 20);
        assert.ok(log.data.items.every((e: { outcome: string }) => e.outcome === "ok"));
      } finally {
        await s.close();
      }
    });
  }

  it("an older data dir's access log, kept in keyplane.db, moves to its own file at the upgrade with every entry", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kp-log-upgrade-"));
    let s = await startTestServer("sqlite", { server: { dataDir } });
    let ids: Awaited<ReturnType<typeof setup>>;
    try {
      ids = await setup(s.admin);
      await burst(7, () => gateway(s.url, ids.secret, { content: "old" }));
    } finally {
      await s.close();
    }
    // The layout of a server before migration 0011: the table in keyplane.db, no access-log.db.
    const old = new SqliteDatabase(join(dataDir, "keyplane.db"));
    old.prepare("attach database ? as log").run(join(dataDir, "access-log.db"));
    old.exec(`
      create table main.access_log (id integer primary key autoincrement, at bigint not null, project_id text,
        api_key_id text, deployment text, outcome text not null, status integer not null, client text not null);
      insert into main.access_log select * from log.access_log;
      delete from kysely_migration where name = '0011_access_log_own_file';
      detach database log;`);
    old.close();
    for (const f of ["access-log.db", "access-log.db-wal", "access-log.db-shm"])
      rmSync(join(dataDir, f), { force: true });
    s = await startTestServer("sqlite", { server: { dataDir } });
    try {
      const log = await s.admin.get(`/v1/projects/${ids.projectId}/api-keys/${ids.keyId}/access-log`);
      assert.equal(log.data.items.length, 7);
      // New entries follow the moved ones, in the log's own file.
      await gateway(s.url, ids.secret, { content: "new" });
      const after = await s.admin.get(`/v1/projects/${ids.projectId}/api-keys/${ids.keyId}/access-log`);
      assert.equal(after.data.items.length, 8);
    } finally {
      await s.close();
    }
    const upgraded = new SqliteDatabase(join(dataDir, "keyplane.db"), { readonly: true });
    const tables = upgraded.prepare("select name from sqlite_master where name = 'access_log'").all();
    upgraded.close();
    assert.deepEqual(tables, [], "keyplane.db keeps no access log");
    const moved = new SqliteDatabase(join(dataDir, "access-log.db"), { readonly: true });
    assert.equal((moved.prepare("select count(*) as n from access_log").get() as { n: number }).n, 8);
    moved.close();
  });
});
