import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { LOOKUP_READS, lookupQuery } from "@keyplane/server/dist/store/gateway-lookup";
import { watchedLookupColumns } from "@keyplane/server/dist/store/lookup-invalidation";
import type { AxiosResponse } from "axios";
import pg from "pg";
import { type DedicatedCluster, freshPostgresDatabase, startDedicatedPostgres } from "../../harness/postgres";
import { spawnReplicas } from "../../harness/spawn-server";
import { admin, burst, gateway, seedKey } from "../helpers/http";
import { startTestServer, type TestServer } from "../helpers/server";

/** The stated bound: a write acknowledged by one replica is seen by every other within a second. */
const BOUND_MS = 1000;

/** Two replicas (servers with one data dir, so one master key) on one PostgreSQL database. */
async function twoReplicas(databaseUrl: string): Promise<[TestServer, TestServer]> {
  const dataDir = mkdtempSync(join(tmpdir(), "kp-replicas-"));
  const a = await startTestServer("postgres", { server: { dataDir, databaseUrl } });
  const b = await startTestServer("postgres", { server: { dataDir, databaseUrl } });
  return [a, b];
}

/** A project with one running deployment "dep" and a key bound to it. */
const setup = (s: Pick<TestServer, "admin">, key: Record<string, unknown> = {}) =>
  seedKey(s.admin, { bind: ["dep"], ...key });

const chat = (s: TestServer, secret: string, model = "dep") => gateway(s.url, secret, { model });

/** SQL straight on the database, as an operator would. */
async function onDatabase<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Proves that `s` answers `secret` from its cache: the key is revoked behind every replica's
 * back (triggers off, so no notification and no epoch change) and `s` still admits it; then
 * the row is put back as it was, still unseen.
 */
async function assertCacheWarm(s: TestServer, databaseUrl: string, keyId: string, secret: string, model = "dep") {
  // The notifications of the setup's writes (which empty the cache) are let in first, then the cache is filled.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await chat(s, secret, model);
  await onDatabase(databaseUrl, async (c) => {
    await c.query("set session_replication_role = replica");
    const before = await c.query("select revoked_at from api_keys where id = $1", [keyId]);
    await c.query("update api_keys set revoked_at = 1 where id = $1", [keyId]);
    try {
      const r = await chat(s, secret, model);
      assert.notEqual(r.data?.error?.code, "revoked_key", "the lookup was served from the cache");
    } finally {
      await c.query("update api_keys set revoked_at = $2 where id = $1", [keyId, before.rows[0].revoked_at]);
    }
  });
}

/**
 * Calls `s` until `check` holds, for at most the bound; the first call after the bound must
 * hold whatever the timing was. Returns how long it took.
 */
async function seenWithinBound(
  call: () => Promise<AxiosResponse>,
  check: (r: AxiosResponse) => boolean,
  what: string,
): Promise<number> {
  const start = performance.now();
  for (;;) {
    const elapsed = performance.now() - start;
    const r = await call();
    if (check(r)) return elapsed;
    assert.ok(
      elapsed < BOUND_MS,
      `${what}: still ${r.status} ${JSON.stringify(r.data)} after ${Math.round(elapsed)} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

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
          [
            "create deployment",
            () =>
              s.admin.post(`/v1/projects/${projectId}/deployments`, {
                name: `d${Math.random().toString(36).slice(2, 8)}`,
                model: "m",
              }),
          ],
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
          for (const [what, call] of calls(s))
            assert.ok((await call()).status < 300, `replica ${i} ${what} after the return`);
        }
      } finally {
        for (const s of replicas) await s.close().catch(() => undefined);
      }
    });
  });

  describe("a write acknowledged by one replica, with the other's cache warm", () => {
    let databaseUrl: string;
    let a: TestServer;
    let b: TestServer;
    const seen: Record<string, number> = {};
    before(async () => {
      databaseUrl = (await freshPostgresDatabase()).url;
      [a, b] = await twoReplicas(databaseUrl);
    });
    after(async () => {
      console.log("      seen by the other replica after (ms):", JSON.stringify(seen));
      await a.close();
      await b.close();
    });

    type Setup = Awaited<ReturnType<typeof setup>>;
    const cases: {
      what: string;
      model?: string;
      prepare?: (x: Setup) => Promise<AxiosResponse>;
      before: number;
      write: (x: Setup) => Promise<AxiosResponse>;
      after: (r: AxiosResponse) => boolean;
    }[] = [
      {
        what: "revoke",
        before: 200,
        write: (x) => a.admin.delete(`/v1/projects/${x.projectId}/api-keys/${x.keyId}`),
        after: (r) => r.data?.error?.code === "revoked_key",
      },
      {
        what: "disable",
        before: 200,
        write: (x) => a.admin.patch(`/v1/projects/${x.projectId}/api-keys/${x.keyId}`, { enabled: false }),
        after: (r) => r.data?.error?.code === "disabled_key",
      },
      {
        what: "unbind",
        before: 200,
        write: (x) => a.admin.delete(`/v1/projects/${x.projectId}/api-keys/${x.keyId}/deployments/${x.deploymentId}`),
        after: (r) => r.data?.error?.code === "deployment_not_bound",
      },
      {
        what: "stop the deployment",
        before: 200,
        write: (x) => a.admin.patch(`/v1/projects/${x.projectId}/deployments/${x.deploymentId}`, { status: "stopped" }),
        after: (r) => r.data?.error?.code === "deployment_not_running",
      },
      {
        what: "scope change",
        // An inference key not bound to "other" becomes a project key, which calls every deployment.
        model: "other",
        prepare: (x) => a.admin.post(`/v1/projects/${x.projectId}/deployments`, { name: "other", model: "m" }),
        before: 403,
        write: (x) => a.admin.patch(`/v1/projects/${x.projectId}/api-keys/${x.keyId}`, { scope: "project" }),
        after: (r) => r.status === 200,
      },
      {
        what: "expiry change",
        before: 200,
        write: async (x) => {
          const r = await a.admin.patch(`/v1/projects/${x.projectId}/api-keys/${x.keyId}`, { ttl: "1m" });
          // The clocks pass the new expiry (the other replica would still admit its cached, unexpiring row).
          a.clock.advance(120_000);
          b.clock.advance(120_000);
          return r;
        },
        after: (r) => r.data?.error?.code === "expired_key",
      },
    ];
    for (const c of cases) {
      it(`${c.what}: refused or applied by the other replica within ${BOUND_MS} ms`, async () => {
        const x = await setup(a);
        if (c.prepare) assert.ok((await c.prepare(x)).status < 300);
        const model = c.model ?? "dep";
        // Both replicas know the key (the other hears of the binding within the bound too).
        await seenWithinBound(
          () => chat(b, x.secret, model),
          (r) => r.status === c.before,
          "the new key",
        );
        assert.equal((await chat(a, x.secret, model)).status, c.before);
        await assertCacheWarm(b, databaseUrl, x.keyId, x.secret, model);
        const ack = await c.write(x);
        assert.ok(ack.status < 300, `${c.what}: ${ack.status} ${JSON.stringify(ack.data)}`);
        seen[c.what] = Math.round(await seenWithinBound(() => chat(b, x.secret, model), c.after, c.what));
        assert.ok(c.after(await chat(a, x.secret, model)), "the writing replica from its very next call");
      });
    }

    it("with its change notifications cut (connection terminated), a replica still refuses a revoked key on its next call", async () => {
      const x = await setup(a);
      await seenWithinBound(
        () => chat(b, x.secret),
        (r) => r.status === 200,
        "the new key",
      );
      await assertCacheWarm(b, databaseUrl, x.keyId, x.secret);
      const killed = await onDatabase(databaseUrl, (c) =>
        c.query(
          "select pg_terminate_backend(pid, 5000) from pg_stat_activity where application_name = 'keyplane-lookup-changes' and datname = current_database()",
        ),
      );
      assert.equal(killed.rowCount, 2, "both replicas listen");
      assert.equal((await a.admin.delete(`/v1/projects/${x.projectId}/api-keys/${x.keyId}`)).status, 204);
      const next = await chat(b, x.secret);
      assert.equal(next.data?.error?.code, "revoked_key", JSON.stringify(next.data));
      // And both listen again by themselves.
      const listeners = () =>
        onDatabase(databaseUrl, (c) =>
          c.query(
            "select 1 from pg_stat_activity where application_name = 'keyplane-lookup-changes' and datname = current_database()",
          ),
        );
      for (let i = 0; (await listeners()).rowCount !== 2; i++) {
        assert.ok(i < 100, "both replicas listen again");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });

    it("watches every column the gateway lookup reads (but uses, spent in the database)", async () => {
      const watched = await watchedLookupColumns(a.store.db);
      const q = lookupQuery(a.store.db, { model: "dep", keyHash: "x" }).compile();
      const plan = await onDatabase(databaseUrl, (c) =>
        c.query(`explain (verbose) ${q.sql}`, q.parameters as unknown[]),
      );
      // What the query returns (the top node's output) and every condition a node evaluates; scans
      // may output whole rows (PostgreSQL's "physical tlist"), which the query does not read.
      const lines: string[] = plan.rows.map((r) => r["QUERY PLAN"]);
      const text = [
        lines.find((l) => l.trim().startsWith("Output:")),
        ...lines.filter((l) => /(Cond|Filter):/.test(l)),
      ].join("\n");
      const tables: Record<string, string> = {
        k: "api_keys",
        d: "deployments",
        s: "secrets",
        v: "secret_versions",
        b: "bindings",
      };
      const read = new Set<string>();
      for (const m of text.matchAll(/\b([kdsvb])\.([a-z_]+)\b/g)) read.add(`${tables[m[1]]}.${m[2]}`);
      for (const must of [
        "api_keys.key_hash",
        "api_keys.revoked_at",
        "bindings.deployment_id",
        "secret_versions.ciphertext",
        "deployments.status",
      ])
        assert.ok(read.has(must), `the plan reads ${must}`);
      read.delete("api_keys.uses");
      const unwatched = [...read].filter((tc) => !watched[tc.split(".")[0]]?.includes(tc.split(".")[1]));
      assert.deepEqual(unwatched, [], "every column the lookup reads is watched");
      assert.deepEqual(
        Object.fromEntries(Object.entries(watched).map(([t, cs]) => [t, [...cs].sort()])),
        Object.fromEntries(Object.entries(LOOKUP_READS).map(([t, cs]) => [t, [...cs].sort()])),
        "the triggers are made from the lookup's own list",
      );
      assert.ok(
        !watched.api_keys.includes("uses") && !watched.api_keys.includes("last_used_at"),
        "spends and flushes notify nobody",
      );
    });
  });

  describe("numUses", () => {
    interface Tally {
      ok: number;
      exhausted: number;
      other: string[];
      failed: number;
    }
    /** `workers` callers, each calling the replicas in turn until `more(tally)` says stop. */
    async function load(
      urls: () => string[],
      secret: string,
      workers: number,
      more: (i: number, tally: Tally) => boolean,
    ): Promise<Tally> {
      const tally: Tally = { ok: 0, exhausted: 0, other: [], failed: 0 };
      await burst(workers, async (w) => {
        for (let i = 0; more(i, tally); i++) {
          const list = urls();
          try {
            const r = await gateway(list[(w + i) % list.length], secret, { content: "x", keyHeader: "x-api-key" });
            if (r.status === 200) tally.ok++;
            else if (r.data?.error?.code === "exhausted_key") tally.exhausted++;
            else tally.other.push(`${r.status} ${JSON.stringify(r.data)}`);
          } catch {
            tally.failed++; // the replica was killed under the call
          }
        }
      });
      return tally;
    }

    const usesOf = (databaseUrl: string, keyId: string) =>
      onDatabase(databaseUrl, async (c) =>
        Number((await c.query("select uses from api_keys where id = $1", [keyId])).rows[0].uses),
      );

    it("are spent exactly by concurrent calls split across two replicas", async () => {
      const databaseUrl = (await freshPostgresDatabase()).url;
      const [a, b] = await twoReplicas(databaseUrl);
      try {
        const x = await setup(a, { numUses: 500 });
        const tally = await load(
          () => [a.url, b.url],
          x.secret,
          64,
          (i) => i < 25,
        );
        assert.deepEqual(tally, { ok: 500, exhausted: 1100, other: [], failed: 0 });
        assert.equal(await usesOf(databaseUrl, x.keyId), 500);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it("lose no admitted use, and hand none out twice, when a replica is SIGKILLed mid-burst", async () => {
      const {
        databaseUrl,
        replicas: [a, b],
        stop,
      } = await spawnReplicas();
      try {
        const x = await setup({ admin: admin(a.url) }, { numUses: 400 });
        let alive = [a.url, b.url];
        const workers = 16;
        // Until the key is spent: a is killed once 100 calls were admitted, b goes on alone.
        const tally = await load(
          () => alive,
          x.secret,
          workers,
          (_, t) => {
            if (t.ok >= 100 && alive.length === 2) {
              a.proc.kill("SIGKILL");
              alive = [b.url];
            }
            return t.exhausted === 0;
          },
        );
        assert.deepEqual(alive, [b.url], "a was killed mid-burst");
        assert.deepEqual(tally.other, []);
        const uses = await usesOf(databaseUrl, x.keyId);
        assert.equal(uses, 400, "the key ends spent");
        assert.ok(
          tally.ok <= uses,
          `every admitted call's use is in the database (${tally.ok} admitted, ${uses} spent)`,
        );
        // Spent but never answered: only calls that were in flight on the killed replica.
        assert.ok(
          uses - tally.ok <= Math.min(workers, tally.failed),
          `${uses - tally.ok} uses spent without an answer, ${tally.failed} calls cut`,
        );
      } finally {
        await stop();
      }
    });
  });
});
