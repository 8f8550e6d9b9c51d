// Gateway verification: keyplane's /v1/chat/completions (SQLite, PostgreSQL, with and
// without numUses, 8 keys or 2,000, one replica or two, with a rate limit in-process or
// shared through Redis) against a bare fastify route returning the same body. Usage counting
// and the access log are always on.
import autocannon from "autocannon";
import axios from "axios";
import { freshPostgresDatabase, stopPostgres } from "../harness/postgres";
import { startRedis } from "../harness/redis";
import { BENCH_ADMIN_TOKEN, type Child, startBare, startKeyplane } from "./processes";
import { median, printTable, round, writeResult } from "./report";
import { streamingBenchmark } from "./streaming";

const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "hello keyplane" }] });

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function loadOne(url: string, keys: string[], seconds: number, connections: number, rate?: number): Promise<Run> {
  const result = await autocannon({
    url: `${url}/v1/chat/completions`,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: Math.max(1, Math.floor(rate)) } : {}),
    requests: (keys.length ? keys : [""]).map((k) => ({
      method: "POST" as const,
      path: "/v1/chat/completions",
      body: BODY,
      headers: { "content-type": "application/json", ...(k ? { authorization: `Bearer ${k}` } : {}) },
    })),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** 32 connections in all, shared among the replicas given; throughput adds up, latencies are the worst replica's. */
async function load(urls: string | string[], keys: string[], seconds: number, rate?: number): Promise<Run> {
  const list = Array.isArray(urls) ? urls : [urls];
  const runs = await Promise.all(
    list.map((u) => loadOne(u, keys, seconds, 32 / list.length, rate && rate / list.length)),
  );
  return {
    rps: runs.reduce((n, r) => n + r.rps, 0),
    p50: Math.max(...runs.map((r) => r.p50)),
    p99: Math.max(...runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
  };
}

/**
 * Every key called once on every replica before the rounds: the rows measure the steady state
 * (a key's first call on a replica is a lookup in the database, and 32 connections walking
 * the same list of 2,000 keys would spend the first rounds on those).
 */
async function callEachKey(urls: string | string[], keys: string[]) {
  for (const url of Array.isArray(urls) ? urls : [urls]) {
    for (let i = 0; i < keys.length; i += 32) {
      await Promise.all(
        keys.slice(i, i + 32).map((k) =>
          axios.post(`${url}/v1/chat/completions`, BODY, {
            headers: { "content-type": "application/json", authorization: `Bearer ${k}` },
          }),
        ),
      );
    }
  }
}

/** A project with one deployment and `count` bound keys of each kind (rate-limited ones unless `limited` is false). */
async function provision(url: string, count: number, project = "bench", withRateLimited = true) {
  const admin = axios.create({ baseURL: url, headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  const p = await admin.post("/v1/projects", { name: project });
  const d = await admin.post(`/v1/projects/${p.data.id}/deployments`, { name: "bench", model: "echo" });
  // A limit no run reaches: every call is counted against it, none is refused.
  const rateLimit = { limit: 1_000_000_000, window: "1h" };
  const make = async (numUses: number, limited = false) => {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const k = await admin.post(`/v1/projects/${p.data.id}/api-keys`, {
        name: `bench-${numUses}-${limited}-${i}`,
        numUses,
        ttl: "1d",
        ...(limited ? { rateLimit } : {}),
      });
      await admin.put(`/v1/projects/${p.data.id}/api-keys/${k.data.id}/deployments/${d.data.id}`);
      keys.push(k.data.secret);
    }
    return keys;
  };
  return {
    unlimited: await make(0),
    limited: await make(1_000_000_000),
    rateLimited: withRateLimited ? await make(0, true) : [],
  };
}

/** The run whose throughput is the median of the rounds (its latencies come with it). */
const medianRun = (runs: Run[]) => runs.find((r) => r.rps === median(runs.map((x) => x.rps)))!;

/**
 * Every target runs once per round, each round starting with the bare route, so slow
 * spells of a shared VM hit the ceiling and keyplane alike; ratios are taken within a
 * round and the median round is reported.
 */
export async function gatewayBenchmark(quick: boolean, rounds = quick ? 1 : 3) {
  const seconds = quick ? 3 : 10;
  const children: Child[] = [];
  const targets: { name: string; url: string | string[]; keys: string[] }[] = [];
  const bareRuns: Run[] = [];
  const runs = new Map<string, { peak: Run; half: Run; ratio: number }[]>();
  const redis = await startRedis();
  let streaming: Awaited<ReturnType<typeof streamingBenchmark>>;
  let streamingUrl = "";
  try {
    const bare = await startBare();
    children.push(bare);
    const pg = await freshPostgresDatabase();
    for (const [store, dbUrl] of [
      ["sqlite", undefined],
      ["postgres", pg.url],
    ] as const) {
      const server = await startKeyplane(dbUrl);
      children.push(server);
      if (store === "sqlite") streamingUrl = server.url;
      const keys = await provision(server.url, 8);
      targets.push({ name: `${store}, unlimited keys`, url: server.url, keys: keys.unlimited });
      targets.push({ name: `${store}, numUses keys (atomic write)`, url: server.url, keys: keys.limited });
      if (store === "sqlite")
        targets.push({ name: "sqlite, rate-limited keys (in-process)", url: server.url, keys: keys.rateLimited });
      if (store === "postgres") {
        // Many keys: each its own cache entry, usage row and lastUsedAt in every flush.
        const many = await provision(server.url, 2_000, "bench-many", false);
        targets.push({ name: "postgres, 2,000 unlimited keys", url: server.url, keys: many.unlimited });
        targets.push({ name: "postgres, 2,000 numUses keys (atomic write)", url: server.url, keys: many.limited });
        // A second replica on the same database: calls split between the two, on the same keys.
        const replica = await startKeyplane(dbUrl);
        children.push(replica);
        targets.push({
          name: "postgres, two replicas, unlimited keys",
          url: [server.url, replica.url],
          keys: keys.unlimited,
        });
      }
    }
    const shared = await startKeyplane(undefined, ["--redis-url", redis.url]);
    children.push(shared);
    targets.push({
      name: "sqlite, rate-limited keys (shared through Redis)",
      url: shared.url,
      keys: (await provision(shared.url, quick ? 8 : 32)).rateLimited,
    });
    for (const t of targets) await callEachKey(t.url, t.keys);
    for (let round = 0; round < rounds; round++) {
      await load(bare.url, [], 1); // warm-up
      const ceiling = await load(bare.url, [], seconds);
      bareRuns.push(ceiling);
      for (const t of targets) {
        await load(t.url, t.keys, 1);
        const peak = await load(t.url, t.keys, seconds);
        const half = await load(t.url, t.keys, seconds, peak.rps / 2);
        if (peak.errors + peak.non2xx > 0)
          throw new Error(`${t.name}: ${peak.errors} errors, ${peak.non2xx} non-2xx answers`);
        runs.set(t.name, [...(runs.get(t.name) ?? []), { peak, half, ratio: peak.rps / ceiling.rps }]);
      }
    }
    streaming = await streamingBenchmark(streamingUrl, quick);
  } finally {
    for (const c of children) await c.stop();
    stopPostgres();
    await redis.stop();
  }
  const ceiling = medianRun(bareRuns);
  const results: Record<string, unknown> = { rounds, bare: ceiling, bareRounds: bareRuns };
  const rows: Record<string, string | number>[] = [
    {
      target: "bare fastify route",
      rps: round(ceiling.rps, 0),
      "p50 ms": ceiling.p50,
      "p99 ms": ceiling.p99,
      "ratio vs bare": 1,
      "p99 ms at half peak": "-",
    },
  ];
  for (const [name, list] of runs) {
    const peak = medianRun(list.map((r) => r.peak));
    const half = list.find((r) => r.peak === peak)!.half;
    const ratio = median(list.map((r) => r.ratio));
    results[name] = { peak, halfPeak: half, ratio, ratioRounds: list.map((r) => r.ratio) };
    rows.push({
      target: `keyplane ${name}`,
      rps: round(peak.rps, 0),
      "p50 ms": peak.p50,
      "p99 ms": peak.p99,
      "ratio vs bare": round(ratio),
      "p99 ms at half peak": half.p99,
    });
  }
  printTable(
    `Gateway verification (${seconds}s per run, 32 connections, load generator in this process; median of ${rounds} round${rounds > 1 ? "s" : ""})`,
    rows,
  );
  results.streaming = streaming;
  const stream = (name: string, r: typeof streaming.direct) => ({
    path: name,
    "ttfb p50 ms": r.ttfbP50,
    "ttfb p99 ms": r.ttfbP99,
    "total p50 ms": r.totalP50,
    "total p99 ms": r.totalP99,
  });
  printTable(
    `Streaming pass-through (SQLite; ${streaming.calls} interleaved sequential calls each, ${streaming.chunks} SSE chunks per answer)`,
    [
      stream("straight to the upstream", streaming.direct),
      stream("through the gateway", streaming.gateway),
      {
        path: "added by the gateway (p50)",
        "ttfb p50 ms": streaming.addedTtfbP50,
        "ttfb p99 ms": "-",
        "total p50 ms": streaming.addedTotalP50,
        "total p99 ms": "-",
      },
    ],
  );
  return { file: writeResult("gateway", results, quick), results };
}
