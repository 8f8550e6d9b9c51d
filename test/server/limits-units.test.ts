import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCidr } from "@keyplane/api";
import { clientAddress } from "@keyplane/server/dist/auth/client-address";
import { cidrList } from "@keyplane/server/dist/limits/cidr";
import { InProcessRateLimiter } from "@keyplane/server/dist/limits/rate-limiter";
import { RedisRateLimiter } from "@keyplane/server/dist/limits/redis-rate-limiter";
import { openStore } from "@keyplane/server/dist/store/database";
import { AccessLogWriter } from "@keyplane/server/dist/usage/access-log-writer";
import { UsageRecorder } from "@keyplane/server/dist/usage/recorder";
import { TokenTap } from "@keyplane/server/dist/usage/tokens";
import SqliteDatabase from "better-sqlite3";
import { freePort } from "../../harness/net";
import { freshPostgresDatabase } from "../../harness/postgres";
import { startRedis } from "../../harness/redis";
import { burst } from "../helpers/http";

describe("limits and usage building blocks", () => {
  it("parses IPv4 and IPv6 CIDRs and single addresses, and nothing else", () => {
    assert.deepEqual(parseCidr("10.0.0.0/8"), { address: "10.0.0.0", prefix: 8, family: "ipv4" });
    assert.deepEqual(parseCidr("192.0.2.7"), { address: "192.0.2.7", prefix: 32, family: "ipv4" });
    assert.deepEqual(parseCidr("2001:db8::/32"), { address: "2001:db8::", prefix: 32, family: "ipv6" });
    assert.deepEqual(parseCidr("::1"), { address: "::1", prefix: 128, family: "ipv6" });
    for (const ok of [
      "::",
      "::ffff:10.0.0.1/128",
      "1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:1.2.3.4",
      "fe80::1:2/64",
      "0.0.0.0/0",
    ])
      assert.ok(parseCidr(ok), ok);
    for (const bad of [
      "10.0.0.0/33",
      "256.1.1.1",
      "10.0.0",
      "10.0.0.0/8/8",
      "2001:db8:::/32",
      "1:2:3:4:5:6:7:8:9",
      "1::2::3",
      ":1",
      "fe80::1%eth0",
      "::1/129",
      "10.0.0.0/-1",
      "",
      "x",
    ]) {
      assert.equal(parseCidr(bad), undefined, bad);
    }
  });

  it("believes X-Forwarded-For only from a trusted proxy, reading from the right", () => {
    const proxies = cidrList(["127.0.0.1", "10.0.0.0/8"]);
    assert.equal(clientAddress("192.0.2.1", "203.0.113.9", proxies), "192.0.2.1", "not a proxy: its header is ignored");
    assert.equal(clientAddress("127.0.0.1", "203.0.113.9", undefined), "127.0.0.1", "no proxies configured");
    assert.equal(clientAddress("127.0.0.1", "203.0.113.9", proxies), "203.0.113.9");
    assert.equal(
      clientAddress("::ffff:127.0.0.1", "198.51.100.1, 203.0.113.9, 10.1.1.1", proxies),
      "203.0.113.9",
      "trusted hops are skipped",
    );
    assert.equal(clientAddress("127.0.0.1", ["198.51.100.1", "2001:db8::1"], proxies), "2001:db8::1");
    assert.equal(clientAddress("127.0.0.1", "10.0.0.1, 10.0.0.2", proxies), "10.0.0.1", "all trusted: the leftmost");
  });

  it("admits exactly `limit` calls per window, then says how long to wait; windows end on the clock", () => {
    const limiter = new InProcessRateLimiter();
    const rule = { limit: 3, windowSeconds: 10 };
    const t0 = 1_000_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.hit("k", rule, t0).ok),
      [true, true, true, false],
    );
    assert.deepEqual(limiter.hit("k", rule, t0 + 2_500), { ok: false, retryAfterSeconds: 8 });
    assert.equal(limiter.hit("other", rule, t0).ok, true, "keys count apart");
    assert.deepEqual(limiter.hit("k", rule, t0 + 9_999), { ok: false, retryAfterSeconds: 1 });
    assert.equal(limiter.hit("k", rule, t0 + 10_000).ok, true, "a new window");
    assert.equal(
      limiter.hit("k", { limit: 3, windowSeconds: 60 }, t0 + 10_000).ok,
      true,
      "a changed window starts afresh",
    );
  });

  it("forgets ended windows when its table is full", () => {
    const limiter = new InProcessRateLimiter(2);
    const rule = { limit: 1, windowSeconds: 1 };
    assert.equal(limiter.hit("a", rule, 0).ok, true);
    assert.equal(limiter.hit("b", rule, 0).ok, true);
    assert.equal(limiter.hit("c", rule, 5_000).ok, true);
    assert.equal(limiter.hit("c", rule, 5_000).ok, false);
  });

  it("Redis: counts across limiters, refuses to start without Redis, falls back to in-process counting when it goes away", async () => {
    const redis = await startRedis();
    const errors: string[] = [];
    const a = await RedisRateLimiter.connect(redis.url, new InProcessRateLimiter(), (e) => errors.push(e.message));
    const b = await RedisRateLimiter.connect(redis.url, new InProcessRateLimiter(), (e) => errors.push(e.message));
    try {
      const rule = { limit: 4, windowSeconds: 60 };
      const decisions = await burst(10, (i) => (i % 2 ? a : b).hit("shared", rule, 0));
      assert.equal(decisions.filter((d) => d.ok).length, 4);
      const refused = decisions.find((d) => !d.ok) as { retryAfterSeconds: number };
      assert.ok(refused.retryAfterSeconds >= 1 && refused.retryAfterSeconds <= 60);
      await redis.stop();
      assert.equal((await a.hit("shared", rule, 0)).ok, true, "counted in-process while Redis is away");
      assert.ok(errors.length > 0, "the outage was reported");
    } finally {
      await a.close();
      await b.close();
      await redis.stop();
    }
    await assert.rejects(
      RedisRateLimiter.connect(
        `redis://:pw@127.0.0.1:${await freePort()}`,
        new InProcessRateLimiter(),
        () => undefined,
      ),
      (e: Error) => {
        assert.match(e.message, /cannot reach Redis at redis:\/\/:redacted@127\.0\.0\.1/);
        return true;
      },
    );
  });

  it("reads usage from SSE split anywhere, from JSON, and from neither", () => {
    const usage = { prompt_tokens: 4, completion_tokens: 9 };
    const sse = `data: {"choices":[{"delta":{"content":"é"}}]}\n\ndata: ${JSON.stringify({ choices: [], usage })}\n\ndata: [DONE]\n\n`;
    const bytes = Buffer.from(sse);
    for (const cut of [1, 7, 30, 61, bytes.length - 3]) {
      const tap = new TokenTap("text/event-stream; charset=utf-8");
      tap.push(bytes.subarray(0, cut));
      tap.push(bytes.subarray(cut));
      assert.deepEqual(tap.end(), { prompt: 4, completion: 9 }, `cut at ${cut}`);
    }
    const json = new TokenTap("application/json");
    json.push('{"usage":{"prompt_tokens":2,');
    json.push('"completion_tokens":5}}');
    assert.deepEqual(json.end(), { prompt: 2, completion: 5 });
    const none = new TokenTap("application/json");
    none.push("not json");
    assert.deepEqual(none.end(), { prompt: 0, completion: 0 });
  });

  for (const dialect of ["sqlite", "postgres"] as const) {
    it(`${dialect}: entries in several batches to the log's thread are all written and usage counted once; the sweep cuts by age`, async () => {
      const store = await openStore({
        dataDir: mkdtempSync(join(tmpdir(), "kp-recorder-")),
        databaseUrl: dialect === "postgres" ? (await freshPostgresDatabase()).url : undefined,
      });
      const errors: string[] = [];
      let now = Date.parse("2026-11-23T12:00:00Z");
      const sink = { recordProjectCall: () => {} };
      const recorder = new UsageRecorder(store, sink, {
        now: () => now,
        accessLogRetentionMs: 60_000,
        flushMs: 3_600_000,
        sweepMs: 3_600_000,
        onError: (what) => errors.push(what),
      });
      try {
        const call = (i: number, at: number) => ({
          at,
          projectId: "prj_a",
          apiKeyId: "key_a",
          deployment: "d",
          deploymentId: "dep_a",
          outcome: "ok",
          status: 200,
          client: `10.0.0.${i % 250}`,
          tokens: { prompt: 2, completion: 3 },
        });
        // 2,600 calls: two full batches to the log's thread and part of a third.
        for (let i = 0; i < 2_600; i++) recorder.record(call(i, now - 120_000));
        await recorder.flush();
        for (let i = 0; i < 10; i++) recorder.record(call(i, now));
        // A refused call that named no key: its text columns are null.
        recorder.record({
          at: now,
          projectId: null,
          apiKeyId: null,
          deployment: null,
          deploymentId: null,
          outcome: "missing_key",
          status: 401,
          client: "10.0.0.9",
        });
        await recorder.flush();
        const log = await store.db
          .selectFrom("access_log")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow();
        assert.equal(Number(log.n), 2_611);
        // Every column lands where it belongs.
        const recent = await store.db
          .selectFrom("access_log")
          .select(["at", "project_id", "api_key_id", "deployment", "outcome", "status", "client"])
          .where("at", "=", now)
          .orderBy("id")
          .execute();
        assert.deepEqual(
          recent.map((r) => ({ ...r, at: Number(r.at), status: Number(r.status) })),
          [
            ...Array.from({ length: 10 }, (_, i) => ({
              at: now,
              project_id: "prj_a",
              api_key_id: "key_a",
              deployment: "d",
              outcome: "ok",
              status: 200,
              client: `10.0.0.${i}`,
            })),
            {
              at: now,
              project_id: null,
              api_key_id: null,
              deployment: null,
              outcome: "missing_key",
              status: 401,
              client: "10.0.0.9",
            },
          ],
        );
        const usage = await store.db.selectFrom("key_usage").selectAll().execute();
        assert.deepEqual(
          usage.map((u) => [Number(u.requests), Number(u.prompt_tokens), Number(u.completion_tokens)]),
          [[2_610, 2 * 2_610, 3 * 2_610]],
        );
        // Retention one minute: the 2,600 older entries go, the 11 recent ones stay.
        await recorder.sweep();
        const left = await store.db.selectFrom("access_log").select("at").execute();
        assert.deepEqual(new Set(left.map((r) => Number(r.at))), new Set([now]));
        assert.equal(left.length, 11);
        now += 120_000;
        await recorder.sweep();
        assert.equal(
          (await store.db.selectFrom("access_log").select("id").execute()).length,
          0,
          "all past retention: none left",
        );
        assert.deepEqual(errors, []);
      } finally {
        await recorder.close();
        await store.close();
      }
    });
  }

  it("a process with nothing left to do but close its recorder still writes every entry and finishes closing", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kp-log-exit-"));
    // The idle writer thread keeps no process up; one awaited at close must, or the process ends mid-close.
    const script = `
      const { openStore } = require(${JSON.stringify(require.resolve("@keyplane/server/dist/store/database"))});
      const { UsageRecorder } = require(${JSON.stringify(require.resolve("@keyplane/server/dist/usage/recorder"))});
      (async () => {
        const store = await openStore({ dataDir: process.argv[1] });
        const r = new UsageRecorder(store, { recordProjectCall() {} }, {
          now: Date.now, accessLogRetentionMs: 86400000, onError: (what) => console.error(what) });
        for (let i = 0; i < 500; i++) r.record({ at: i, projectId: "p", apiKeyId: "k", deployment: "d",
          deploymentId: null, outcome: "ok", status: 200, client: "10.0.0.1" });
        await r.close();
        await store.close();
        console.log("closed");
      })();`;
    const run = spawnSync(process.execPath, ["-e", script, dataDir], { encoding: "utf8", timeout: 60_000 });
    assert.equal(run.stdout.trim(), "closed", run.stderr);
    const log = new SqliteDatabase(join(dataDir, "access-log.db"), { readonly: true });
    assert.equal((log.prepare("select count(*) as n from access_log").get() as { n: number }).n, 500);
    log.close();
  });

  it("a log writer thread that dies with batches unwritten is started again and writes them", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kp-log-writer-"));
    const store = await openStore({ dataDir });
    const errors: string[] = [];
    const writer = new AccessLogWriter({
      target: store.accessLog,
      postMs: 3_600_000,
      maxPending: 100_000,
      onError: (what) => errors.push(what),
    });
    // Locked: the thread gets the batch but cannot write it before it is stopped.
    const lock = new SqliteDatabase(join(dataDir, "access-log.db"));
    lock.exec("begin immediate");
    try {
      for (let i = 0; i < 30; i++)
        writer.append({
          at: i,
          projectId: "prj_a",
          apiKeyId: "key_a",
          deployment: "d",
          outcome: "ok",
          status: 200,
          client: "10.0.0.1",
        });
      const flushed = writer.flush();
      // Fault injection: the thread ends as a crash would end it.
      await (writer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      await flushed;
      lock.exec("commit");
      // Started again a second later, with the batch; written exactly once.
      for (let i = 0; i < 50; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await writer.flush();
        const rows = await store.db.selectFrom("access_log").select("at").execute();
        if (rows.length > 0) {
          assert.deepEqual(
            rows.map((r) => Number(r.at)),
            Array.from({ length: 30 }, (_, i) => i),
          );
          return;
        }
      }
      assert.fail(`the batch was never written (${errors.join("; ")})`);
    } finally {
      lock.close();
      await writer.close();
      await store.close();
    }
  });

  for (const dialect of ["sqlite", "postgres"] as const) {
    it(`${dialect}: a flush for 2,000 keys adds each key's usage, moves lastUsedAt forward only, and leaves numUses keys' to their spends`, async () => {
      const store = await openStore({
        dataDir: mkdtempSync(join(tmpdir(), "kp-recorder-keys-")),
        databaseUrl: dialect === "postgres" ? (await freshPostgresDatabase()).url : undefined,
      });
      const errors: string[] = [];
      const now = Date.parse("2026-11-23T12:00:00Z");
      const recorder = new UsageRecorder(
        store,
        { recordProjectCall: () => {} },
        {
          now: () => now,
          accessLogRetentionMs: 86_400_000,
          flushMs: 3_600_000,
          sweepMs: 3_600_000,
          onError: (what) => errors.push(what),
        },
      );
      const ids = Array.from({ length: 2_000 }, (_, i) => `key_${String(i).padStart(4, "0")}`);
      // Every tenth key has numUses; key_0001 was already used later than this flush's calls.
      const key = (id: string, i: number) => ({
        id,
        project_id: "prj_a",
        name: id,
        description: "",
        labels: "{}",
        scope: "inference" as const,
        deployment_access: "all" as const,
        key_hash: `hash_${id}`,
        last4: "abcd",
        created_at: 0,
        created_by: "admin",
        expires_at: null,
        max_expires_at: null,
        ttl_seconds: null,
        explicit_max_ttl_seconds: null,
        renewable: 0,
        num_uses: i % 10 === 0 ? 5 : 0,
        uses: 0,
        last_used_at: id === "key_0001" ? now + 1 : null,
        revoked_at: null,
        managed_by: null,
        enabled: 1,
        rate_limit: null,
        rate_window_seconds: null,
        allowed_cidrs: "[]",
        grace_revoked_at: null,
        updated_at: 0,
      });
      try {
        for (let i = 0; i < ids.length; i += 200)
          await store.db
            .insertInto("api_keys")
            .values(ids.slice(i, i + 200).map((id, j) => key(id, i + j)))
            .execute();
        for (const round of [1, 2]) {
          for (const [i, id] of ids.entries()) {
            for (let c = 0; c <= i % 3; c++) {
              recorder.record({
                at: now - round,
                projectId: "prj_a",
                apiKeyId: id,
                deployment: "d",
                deploymentId: "dep_a",
                outcome: "ok",
                status: 200,
                client: "10.0.0.1",
                tokens: { prompt: 1, completion: 2 },
              });
            }
          }
          await recorder.flush();
        }
        const usage = await store.db
          .selectFrom("key_usage")
          .select(["api_key_id", "requests", "completion_tokens"])
          .orderBy("api_key_id")
          .execute();
        assert.equal(usage.length, 2_000);
        for (const [i, u] of usage.entries())
          assert.deepEqual(
            [u.api_key_id, Number(u.requests), Number(u.completion_tokens)],
            [ids[i], 2 * (1 + (i % 3)), 4 * (1 + (i % 3))],
          );
        const keys = await store.db.selectFrom("api_keys").select(["id", "last_used_at"]).orderBy("id").execute();
        for (const [i, k] of keys.entries()) {
          const want = i % 10 === 0 ? null : k.id === "key_0001" ? now + 1 : now - 1;
          assert.equal(k.last_used_at === null ? null : Number(k.last_used_at), want, k.id);
        }
        const log = await store.db
          .selectFrom("access_log")
          .select((eb) => eb.fn.countAll<number>().as("n"))
          .executeTakeFirstOrThrow();
        assert.equal(Number(log.n), 2 * (667 * 1 + 667 * 2 + 666 * 3));
        assert.deepEqual(errors, []);
      } finally {
        await recorder.close();
        await store.close();
      }
    });
  }
});
