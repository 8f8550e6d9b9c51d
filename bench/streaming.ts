// Streaming pass-through: time to first byte and total time of a streamed chat completion,
// through the gateway and straight to the same upstream, interleaved in one run.
import http from "node:http";
import type { AddressInfo } from "node:net";
import axios from "axios";
import { BENCH_ADMIN_TOKEN } from "./processes";
import { round } from "./report";

const CHUNKS = 16;

/** An OpenAI-shaped upstream that streams CHUNKS SSE events, each in its own write. */
async function startStreamingUpstream() {
  const chunk = (i: number) =>
    `data: ${JSON.stringify({ id: "bench", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content: `t${i} ` }, finish_reason: null }] })}\n\n`;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      let i = 0;
      const next = () => {
        if (i === CHUNKS) return void res.end("data: [DONE]\n\n");
        res.write(chunk(i++));
        setImmediate(next);
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One streamed call: milliseconds to the first body byte and to the end. */
function timedCall(url: string, body: string, key?: string): Promise<{ ttfb: number; total: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - started) / 1e6;
    let ttfb = -1;
    const req = http.request(
      url,
      {
        method: "POST",
        agent,
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
      },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: ${res.statusCode}`));
        res.on("data", () => {
          if (ttfb < 0) ttfb = ms();
        });
        res.on("end", () => resolve({ ttfb, total: ms() }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** Interleaved direct and gateway calls (sequential, one connection each), so drift hits both alike. */
export async function streamingBenchmark(gatewayUrl: string, quick: boolean) {
  const upstream = await startStreamingUpstream();
  try {
    const admin = axios.create({ baseURL: gatewayUrl, headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
    const p = await admin.post("/v1/projects", { name: "bench-stream" });
    await admin.post(`/v1/projects/${p.data.id}/deployments`, {
      name: "streamed",
      model: "m",
      upstreamUrl: upstream.url,
    });
    const key = (await admin.post(`/v1/projects/${p.data.id}/api-keys`, { name: "stream", deploymentAccess: "all" }))
      .data.secret;
    const body = (model: string) =>
      JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hello" }] });
    const calls = quick ? 300 : 2000;
    const direct: { ttfb: number; total: number }[] = [];
    const gateway: { ttfb: number; total: number }[] = [];
    for (let i = 0; i < calls + 50; i++) {
      const d = await timedCall(`${upstream.url}/chat/completions`, body("m"));
      const g = await timedCall(`${gatewayUrl}/v1/chat/completions`, body("streamed"), key);
      if (i >= 50) {
        // the first 50 pairs warm up connections and the JIT
        direct.push(d);
        gateway.push(g);
      }
    }
    const stats = (runs: { ttfb: number; total: number }[]) => {
      const at = (field: "ttfb" | "total", p: number) =>
        round(
          percentile(
            runs.map((r) => r[field]),
            p,
          ),
          3,
        );
      return { ttfbP50: at("ttfb", 50), ttfbP99: at("ttfb", 99), totalP50: at("total", 50), totalP99: at("total", 99) };
    };
    const s = { calls, chunks: CHUNKS, direct: stats(direct), gateway: stats(gateway) };
    return {
      ...s,
      addedTtfbP50: round(s.gateway.ttfbP50 - s.direct.ttfbP50, 3),
      addedTotalP50: round(s.gateway.totalP50 - s.direct.totalP50, 3),
    };
  } finally {
    await upstream.close();
  }
}
