// Gateway verification: keyplane's /v1/chat/completions (SQLite, PostgreSQL, with and
// without numUses) against a bare fastify route returning the same body.
import autocannon from "autocannon";
import axios from "axios";
import { freshPostgresDatabase, stopPostgres } from "../test/helpers/postgres";
import { BENCH_ADMIN_TOKEN, startBare, startKeyplane, type Child } from "./processes";
import { printTable, round, writeResult } from "./report";

const BODY = JSON.stringify({ model: "bench", messages: [{ role: "user", content: "hello keyplane" }] });

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, keys: string[], seconds: number, rate?: number): Promise<Run> {
  const result = await autocannon({
    url: `${url}/v1/chat/completions`,
    connections: 32,
    duration: seconds,
    ...(rate ? { overallRate: Math.max(1, Math.floor(rate)) } : {}),
    requests: (keys.length ? keys : [""]).map((k) => ({
      method: "POST" as const,
      path: "/v1/chat/completions",
      body: BODY,
      headers: { "content-type": "application/json", ...(k ? { authorization: `Bearer ${k}` } : {}) },
    })),
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** A project with one deployment and `count` bound keys of each kind. */
async function provision(url: string, count: number) {
  const admin = axios.create({ baseURL: url, headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  const p = await admin.post("/v1/projects", { name: "bench" });
  const d = await admin.post(`/v1/projects/${p.data.id}/deployments`, { name: "bench", model: "echo" });
  const make = async (numUses: number) => {
    const keys: string[] = [];
    for (let i = 0; i < count; i++) {
      const k = await admin.post(`/v1/projects/${p.data.id}/api-keys`, { name: `bench-${numUses}-${i}`, numUses, ttl: "1d" });
      await admin.put(`/v1/projects/${p.data.id}/api-keys/${k.data.id}/deployments/${d.data.id}`);
      keys.push(k.data.secret);
    }
    return keys;
  };
  return { unlimited: await make(0), limited: await make(1_000_000_000) };
}

export async function gatewayBenchmark(quick: boolean) {
  const seconds = quick ? 3 : 10;
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown> = {};
  const children: Child[] = [];
  try {
    const bare = await startBare();
    children.push(bare);
    await load(bare.url, [], 1); // warm-up
    const ceiling = await load(bare.url, [], seconds);
    results.bare = ceiling;
    rows.push({ target: "bare fastify route", rps: round(ceiling.rps, 0), "p50 ms": ceiling.p50, "p99 ms": ceiling.p99, "ratio vs bare": 1, "p99 ms at half peak": "-" });
    await bare.stop();

    const pg = await freshPostgresDatabase();
    for (const [store, dbUrl] of [["sqlite", undefined], ["postgres", pg.url]] as const) {
      const server = await startKeyplane(dbUrl);
      children.push(server);
      const keys = await provision(server.url, quick ? 8 : 32);
      for (const [mode, set] of [["unlimited keys", keys.unlimited], ["numUses keys (atomic write)", keys.limited]] as const) {
        await load(server.url, set, 1);
        const peak = await load(server.url, set, seconds);
        const half = await load(server.url, set, seconds, peak.rps / 2);
        if (peak.errors + peak.non2xx > 0) throw new Error(`${store} ${mode}: ${peak.errors} errors, ${peak.non2xx} non-2xx answers`);
        const name = `${store}, ${mode}`;
        results[name] = { peak, halfPeak: half, ratio: peak.rps / ceiling.rps };
        rows.push({ target: `keyplane ${name}`, rps: round(peak.rps, 0), "p50 ms": peak.p50, "p99 ms": peak.p99, "ratio vs bare": round(peak.rps / ceiling.rps), "p99 ms at half peak": half.p99 });
      }
      await server.stop();
    }
  } finally {
    for (const c of children) await c.stop();
    stopPostgres();
  }
  printTable(`Gateway verification (${seconds}s per run, 32 connections, load generator in this process)`, rows);
  return { file: writeResult("gateway", results, quick), results };
}
