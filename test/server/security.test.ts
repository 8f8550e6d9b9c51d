import { strict as assert } from "node:assert";
import { chmodSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addressForms } from "@keyplane/server/dist/gateway/egress";
import { loggableUrl } from "@keyplane/server/dist/http/log-redaction";
import { jsonTooDeep } from "@keyplane/server/dist/http/parse-input";
import { addUsage } from "@keyplane/server/dist/store/usage";
import axios from "axios";
import fc from "fast-check";
import { spawnServer } from "../../harness/spawn-server";
import { admin, client, cookieOf, gateway, seedKey, seedProject, signIn } from "../helpers/http";
import { type OpenAiUpstream, startOpenAiUpstream } from "../helpers/openai-upstream";
import { ADMIN_TOKEN, DIALECTS, startTestServer, type TestServer } from "../helpers/server";

const HF_TOKEN = "hf_ADMIN_STORED_token_0123456789";

interface Recorded {
  url: string;
  calls: { path: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** A loopback HTTP server that records every call and answers with `answer`. */
async function recordingServer(
  answer: (body: string, headers: IncomingHttpHeaders, reply: (status: number, body: unknown) => void) => void,
): Promise<Recorded> {
  const calls: Recorded["calls"] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      calls.push({ path: req.url ?? "", headers: req.headers, body });
      answer(body, req.headers, (status, payload) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(typeof payload === "string" ? payload : JSON.stringify(payload));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A project with a project-scope key (and a client holding it). */
async function project(s: TestServer, key: Record<string, unknown> = {}) {
  const p = await seedProject(s.admin, { keys: { pk: { scope: "project", ...key } } });
  return { projectId: p.projectId, base: p.base, key: p.keys.pk, asKey: client(s.url, p.keys.pk.secret) };
}

const chat = (url: string, key: string, model: string, headers: Record<string, string> = {}) =>
  gateway(url, key, { model, headers });

const paths = (r: { data: any }) => (r.data.error?.details ?? []).map((d: { path: string }) => d.path);

for (const dialect of DIALECTS) {
  describe(`security model (${dialect})`, function () {
    this.timeout(120_000);
    let s: TestServer;
    let upstream: OpenAiUpstream;
    let attacker: Recorded;

    before(async () => {
      s = await startTestServer(dialect);
      upstream = await startOpenAiUpstream();
      attacker = await recordingServer((_b, _h, reply) =>
        reply(200, { id: "x", object: "chat.completion", created: 0, model: "m", choices: [] }),
      );
    });
    after(async () => {
      await s.close();
      await upstream.close();
      await attacker.close();
    });

    it("1. a project key cannot make the gateway send a secret to an origin the secret does not allow", async () => {
      const { base, asKey, key } = await project(s, { deploymentAccess: "all" });
      const origin = new URL(upstream.url).origin;
      const sec = await s.admin.post(`${base}/secrets`, {
        name: "hf",
        useCase: "huggingface",
        value: { token: HF_TOKEN },
        allowedUpstreams: [origin],
      });
      assert.equal(sec.status, 201, JSON.stringify(sec.data));
      assert.deepEqual(sec.data.allowedUpstreams, [origin]);
      const dep = await asKey.post(`${base}/deployments`, {
        name: "vllm",
        model: "m",
        upstreamUrl: upstream.url,
        upstreamSecret: sec.data.id,
      });
      assert.equal(dep.status, 201, JSON.stringify(dep.data));

      // Moving the URL, or naming the secret from a new deployment elsewhere: refused, naming the field.
      const moved = await asKey.patch(`${base}/deployments/${dep.data.id}`, { upstreamUrl: `${attacker.url}/v1` });
      assert.equal(moved.status, 400, JSON.stringify(moved.data));
      assert.deepEqual(paths(moved), ["upstreamUrl"]);
      const fresh = await asKey.post(`${base}/deployments`, {
        name: "exfil",
        model: "m",
        upstreamUrl: `${attacker.url}/v1`,
        upstreamSecret: sec.data.id,
      });
      assert.equal(fresh.status, 400);
      assert.deepEqual(paths(fresh), ["upstreamUrl"]);
      // A deployment that names the secret without a URL sends it nowhere; giving it a foreign URL later is refused too.
      const bare = await asKey.post(`${base}/deployments`, { name: "bare", model: "m", upstreamSecret: sec.data.id });
      assert.equal(bare.status, 201);
      assert.deepEqual(
        paths(await asKey.patch(`${base}/deployments/${bare.data.id}`, { upstreamUrl: `${attacker.url}/v1` })),
        ["upstreamUrl"],
      );
      const other = await asKey.post(`${base}/deployments`, {
        name: "other",
        model: "m",
        upstreamUrl: `${attacker.url}/v1`,
      });
      assert.deepEqual(
        paths(await asKey.patch(`${base}/deployments/${other.data.id}`, { upstreamSecret: sec.data.id })),
        ["upstreamSecret"],
      );
      assert.equal(
        (await s.admin.get(`${base}/deployments/${dep.data.id}`)).data.upstreamUrl,
        upstream.url,
        "the refused PATCH changed nothing",
      );

      assert.equal((await chat(s.url, key.secret, "vllm")).status, 200);
      assert.equal(upstream.calls.at(-1)!.headers.authorization, `Bearer ${HF_TOKEN}`);
      for (const name of ["vllm", "bare", "other"]) await chat(s.url, key.secret, name);
      assert.ok(
        !attacker.calls.some((c) => JSON.stringify(c.headers).includes(HF_TOKEN)),
        "the attacker's upstream never saw the secret",
      );

      // Only a new value may widen the list; the old value is then gone.
      const widened = await asKey.put(`${base}/secrets/${sec.data.id}/value`, {
        value: { token: "hf_mine" },
        allowedUpstreams: [origin, new URL(attacker.url).origin],
      });
      assert.equal(widened.status, 200, JSON.stringify(widened.data));
      assert.equal(widened.data.version, 2);
      assert.equal(
        (await asKey.patch(`${base}/deployments/${other.data.id}`, { upstreamSecret: sec.data.id })).status,
        200,
      );
      await chat(s.url, key.secret, "other");
      assert.equal(attacker.calls.at(-1)!.headers.authorization, "Bearer hf_mine");
      assert.ok(!attacker.calls.some((c) => JSON.stringify(c).includes(HF_TOKEN)));

      // Defense in depth: narrowed under a deployment, the gateway refuses to send it.
      const narrowed = await s.admin.put(`${base}/secrets/${sec.data.id}/value`, {
        value: { token: "hf_v3" },
        allowedUpstreams: [origin],
      });
      assert.equal(narrowed.status, 200);
      const before = attacker.calls.length;
      const refused = await chat(s.url, key.secret, "other");
      assert.equal(refused.status, 502);
      assert.equal(refused.data.error.code, "upstream_failed");
      assert.equal(attacker.calls.length, before, "nothing reached the origin the secret no longer allows");

      // An unpinned secret goes nowhere; origins are origins.
      const unpinned = await s.admin.post(`${base}/secrets`, {
        name: "unpinned",
        useCase: "huggingface",
        value: { token: "t" },
      });
      assert.deepEqual(unpinned.data.allowedUpstreams, []);
      assert.deepEqual(
        paths(
          await asKey.post(`${base}/deployments`, {
            name: "unpinned-dep",
            model: "m",
            upstreamUrl: upstream.url,
            upstreamSecret: unpinned.data.id,
          }),
        ),
        ["upstreamUrl"],
      );
      const bad = await s.admin.post(`${base}/secrets`, {
        name: "bad",
        useCase: "huggingface",
        value: { token: "t" },
        allowedUpstreams: ["https://host.example/v1"],
      });
      assert.equal(bad.status, 400);
      assert.deepEqual(paths(bad), ["allowedUpstreams.0"]);
      assert.ok(
        !JSON.stringify((await s.admin.get(`${base}/secrets/${sec.data.id}`)).data).includes("hf_"),
        "metadata holds no value",
      );
    });

    it("2. a key's limits hold on management routes and console sign-in; management calls spend no uses", async () => {
      const pinned = await project(s, { allowedCidrs: ["10.0.0.0/8"] });
      const listed = await pinned.asKey.get(`${pinned.base}/api-keys`);
      assert.equal(listed.status, 403);
      assert.equal(listed.data.error.code, "ip_not_allowed");
      const minted = await pinned.asKey.post(`${pinned.base}/api-keys`, { name: "unpinned", scope: "project" });
      assert.equal(minted.status, 403);
      assert.equal((await s.admin.get(`${pinned.base}/api-keys`)).data.items.length, 1, "no key was minted");
      const signed = await signIn(s.http, pinned.key.secret);
      assert.equal(signed.status, 403);
      assert.equal(signed.data.error.code, "ip_not_allowed");
      assert.equal(signed.headers["set-cookie"], undefined);

      // A session made from an allowed address stops when the key's pin no longer allows it.
      const p = await project(s);
      const session = await signIn(s.http, p.key.secret);
      assert.equal(session.status, 201);
      const cookie = cookieOf(session);
      assert.equal((await s.http.get(`${p.base}/api-keys`, { headers: { cookie } })).status, 200);
      assert.equal(
        (await s.admin.patch(`${p.base}/api-keys/${p.key.id}`, { allowedCidrs: ["10.0.0.0/8"] })).status,
        200,
      );
      assert.equal((await s.http.get(`${p.base}/api-keys`, { headers: { cookie } })).data.error.code, "ip_not_allowed");
      assert.equal((await s.http.get("/console/api/session", { headers: { cookie } })).status, 403);

      // Disabled and expired keys are refused on management and at sign-in as at the gateway.
      const disabled = await project(s, { enabled: false });
      assert.equal((await disabled.asKey.get(`${disabled.base}/api-keys`)).data.error.code, "disabled_key");
      assert.equal((await signIn(s.http, disabled.key.secret)).data.error.code, "disabled_key");
      const expiring = await project(s, { ttl: "1h" });
      s.clock.advance(3_600_001);
      assert.equal((await expiring.asKey.get(`${expiring.base}/api-keys`)).data.error.code, "expired_key");
      assert.equal((await signIn(s.http, expiring.key.secret)).data.error.code, "expired_key");

      // numUses and rateLimit meter gateway calls only.
      const metered = await project(s, { numUses: 2, rateLimit: { limit: 1, window: "1h" } });
      for (let i = 0; i < 5; i++) assert.equal((await metered.asKey.get(`${metered.base}/api-keys`)).status, 200);
      assert.equal((await metered.asKey.post(`${metered.base}/deployments`, { name: "dep", model: "m" })).status, 201);
      assert.equal(
        (await chat(s.url, metered.key.secret, "dep")).status,
        200,
        "the rate limit's one call is still there",
      );
      assert.equal((await chat(s.url, metered.key.secret, "dep")).status, 429);
      const key = (await s.admin.get(`${metered.base}/api-keys/${metered.key.id}`)).data;
      assert.equal(key.usesRemaining, 1, "management calls spent no use");
    });

    it("3. an admin session ends when the server runs with another admin token; a key session when its key is disabled", async () => {
      const dataDir = s.dataDir;
      const databaseUrl = s.databaseUrl;
      await s.close();
      const start = (adminToken: string) => startTestServer(dialect, { adminToken, server: { dataDir, databaseUrl } });
      const a = await start("rotation-token-one-0123456789");
      let cookie: string;
      try {
        const r = await signIn(a.http, "rotation-token-one-0123456789");
        assert.equal(r.status, 201);
        cookie = cookieOf(r);
        assert.equal((await a.http.get("/v1/projects", { headers: { cookie } })).status, 200);
        assert.ok(!s.dump().includes("rotation-token-one-0123456789"), "the token is not stored");
      } finally {
        await a.close();
      }
      const same = await start("rotation-token-one-0123456789");
      try {
        assert.equal(
          (await same.http.get("/v1/projects", { headers: { cookie } })).status,
          200,
          "a restart with the same token keeps the session",
        );
      } finally {
        await same.close();
      }
      const rotated = await start("rotation-token-two-0123456789");
      try {
        const late = await rotated.http.get("/v1/projects", { headers: { cookie } });
        assert.equal(late.status, 401);
        assert.equal(late.data.error.code, "session_expired");
        const create = await rotated.http.post(
          "/v1/projects",
          { name: "after-rotation" },
          { headers: { cookie, "x-keyplane-csrf": "x" } },
        );
        assert.equal(create.status, 401);
      } finally {
        await rotated.close();
      }
      s = await startTestServer(dialect, { server: { dataDir, databaseUrl } });

      const p = await project(s);
      const keySession = cookieOf(await signIn(s.http, p.key.secret));
      assert.equal((await s.http.get(`${p.base}/api-keys`, { headers: { cookie: keySession } })).status, 200);
      await s.admin.patch(`${p.base}/api-keys/${p.key.id}`, { enabled: false });
      assert.equal(
        (await s.http.get(`${p.base}/api-keys`, { headers: { cookie: keySession } })).data.error.code,
        "session_expired",
      );
      const short = await project(s, { ttl: "1h" });
      const shortSession = cookieOf(await signIn(s.http, short.key.secret));
      assert.equal((await s.http.get(`${short.base}/api-keys`, { headers: { cookie: shortSession } })).status, 200);
      s.clock.advance(3_600_001);
      assert.equal(
        (await s.http.get(`${short.base}/api-keys`, { headers: { cookie: shortSession } })).data.error.code,
        "session_expired",
        "the key's expiry ends its session",
      );
    });

    it("4. a deployment that leads back to this server is refused in one hop, and when set", async () => {
      const p = await project(s, { numUses: 5, deploymentAccess: "all" });
      // A forwarder in front of this server, as a load balancer would be.
      const target = new URL(s.url);
      const hops: string[] = [];
      const forwarder = createServer((req, res) => {
        hops.push(String(req.headers["keyplane-hop"]));
        const out = httpRequest(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(out);
      });
      await new Promise<void>((resolve) => forwarder.listen(0, "127.0.0.1", resolve));
      const via = `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}`;
      try {
        const sec = await s.admin.post(`${p.base}/secrets`, {
          name: "self",
          useCase: "huggingface",
          value: { token: p.key.secret },
          allowedUpstreams: [via],
        });
        assert.equal(
          (
            await p.asKey.post(`${p.base}/deployments`, {
              name: "loop",
              model: "loop",
              upstreamUrl: `${via}/v1`,
              upstreamSecret: sec.data.id,
            })
          ).status,
          201,
        );
        const r = await chat(s.url, p.key.secret, "loop");
        assert.equal(r.status, 508, JSON.stringify(r.data));
        assert.equal(r.data.error.code, "loop_detected");
        assert.equal(hops.length, 1, "one hop, no recursion");
        assert.match(hops[0], /^[0-9a-f]{32}$/);
        assert.equal(
          (await s.admin.get(`${p.base}/api-keys/${p.key.id}`)).data.usesRemaining,
          4,
          "the loop spent one use, the outer call's",
        );
        // The mark is refused however it arrives.
        const marked = await chat(s.url, p.key.secret, "loop", { "keyplane-hop": hops[0] });
        assert.equal(marked.status, 508);
        assert.equal(hops.length, 1);
        assert.match((await s.http.get("/openapi.json")).data.info.description, /508: loop_detected/);
      } finally {
        forwarder.closeAllConnections();
        await new Promise<void>((resolve) => forwarder.close(() => resolve()));
      }
      for (const url of [
        `${s.url}/v1`,
        `http://localhost:${target.port}/v1`,
        `http://[::ffff:127.0.0.1]:${target.port}/v1`,
      ]) {
        const r = await p.asKey.post(`${p.base}/deployments`, { name: "self", model: "m", upstreamUrl: url });
        assert.equal(r.status, 400, url);
        assert.deepEqual(paths(r), ["upstreamUrl"]);
      }
      // Loopback stays an upstream: only this server's own port is refused.
      assert.equal(
        (await p.asKey.post(`${p.base}/deployments`, { name: "local", model: "m", upstreamUrl: upstream.url })).status,
        201,
      );
    });

    it("6. /metrics stays 200 after absurd upstream usage, the numbers are ignored and counted, and usage saturates", async () => {
      const absurd = await recordingServer((_b, _h, reply) =>
        reply(
          200,
          '{"id":"a","object":"chat.completion","created":0,"model":"m","choices":[],"usage":{"prompt_tokens":1e308,"completion_tokens":-5,"total_tokens":1e308}}',
        ),
      );
      try {
        const p = await project(s, { deploymentAccess: "all" });
        await s.admin.post(`${p.base}/deployments`, { name: "absurd", model: "m", upstreamUrl: absurd.url });
        for (let i = 0; i < 2; i++) assert.equal((await chat(s.url, p.key.secret, "absurd")).status, 200);
        const metrics = await s.http.get("/metrics");
        assert.equal(metrics.status, 200);
        assert.ok(
          metrics.data.includes(`keyplane_upstream_usage_invalid_total{project="${p.projectId}"} 4`),
          "both numbers of both answers counted as invalid",
        );
        assert.ok(!/keyplane_project_tokens_total\{[^}]*\} (Inf|\+Inf|NaN)/.test(metrics.data));
        const usage = await p.asKey.get(`${p.base}/api-keys/${p.key.id}/usage`);
        assert.equal(usage.status, 200);
        assert.deepEqual(usage.data.totals, { requests: 2, promptTokens: 0, completionTokens: 0 });

        // A count at the column's end saturates rather than failing every project's flush.
        const dep = (await s.admin.get(`${p.base}/deployments`)).data.items[0];
        const row = {
          api_key_id: p.key.id,
          deployment_id: dep.id,
          day: "2020-01-01",
          project_id: p.projectId,
          requests: 1,
          prompt_tokens: Number.MAX_SAFE_INTEGER - 1,
          completion_tokens: 0,
        };
        await addUsage(s.store.db, s.store.dialect, [row]);
        await addUsage(s.store.db, s.store.dialect, [{ ...row, prompt_tokens: 1_000_000_000, completion_tokens: 1 }]);
        const again = await p.asKey.get(`${p.base}/api-keys/${p.key.id}/usage`);
        assert.equal(again.data.totals.promptTokens, Number.MAX_SAFE_INTEGER);
        assert.equal((await s.http.get("/metrics")).status, 200);
      } finally {
        await absurd.close();
      }
    });

    it("7. huge durations and deeply nested bodies are answered 400 naming the field, changing nothing", async () => {
      const p = await project(s, { deploymentAccess: "all" });
      const keys = `${p.base}/api-keys`;
      for (const field of ["ttl", "explicitMaxTtl"]) {
        const r = await s.admin.post(keys, { name: "k", [field]: "200000000d" });
        assert.equal(r.status, 400, JSON.stringify(r.data));
        assert.deepEqual(paths(r), [field]);
      }
      assert.equal(
        (await s.admin.post(keys, { name: "century", ttl: "36525d" })).status,
        201,
        "100 years is the maximum",
      );
      assert.deepEqual(paths(await s.admin.post(keys, { name: "k", ttl: "36526d" })), ["ttl"]);
      const renewable = (await s.admin.post(keys, { name: "r", ttl: "1h", renewable: true })).data;
      assert.deepEqual(paths(await s.admin.patch(`${keys}/${renewable.id}`, { ttl: "200000000d" })), ["ttl"]);
      const renew = await s.admin.post(`${keys}/${renewable.id}/renew`, { increment: "200000000d" });
      assert.equal(renew.status, 400);
      assert.deepEqual(paths(renew), ["increment"]);
      const revoke = await s.admin.delete(`${keys}/${renewable.id}?gracePeriod=200000000d`);
      assert.equal(revoke.status, 400);
      assert.deepEqual(paths(revoke), ["query.gracePeriod"]);
      assert.equal((await s.admin.get(`${keys}/${renewable.id}`)).data.status, "active", "nothing changed");

      const deep = `{"model":"dep","messages":[{"role":"user","content":${"[".repeat(50_000)}${"]".repeat(50_000)}}]}`;
      const gateway = await s.http.post("/v1/chat/completions", deep, {
        headers: { authorization: `Bearer ${p.key.secret}`, "content-type": "application/json" },
      });
      assert.equal(gateway.status, 400, JSON.stringify(gateway.data));
      assert.equal(gateway.data.error.code, "invalid_body");
      const management = await s.admin.post(
        keys,
        `{"name":"k","labels":${'{"a":'.repeat(20_000)}1${"}".repeat(20_000)}}`,
        { headers: { "content-type": "application/json" } },
      );
      assert.equal(management.status, 400);
      assert.equal(management.data.error.code, "invalid_body");
      // Within the limit, and brackets inside strings, are fine.
      await s.admin.post(`${p.base}/deployments`, { name: "dep", model: "m" });
      const fine = `{"model":"dep","messages":[{"role":"user","content":"${"[".repeat(500)}"},{"role":"user","content":${"[".repeat(60)}${"]".repeat(60)}}]}`;
      assert.equal(
        (
          await s.http.post("/v1/chat/completions", fine, {
            headers: { authorization: `Bearer ${p.key.secret}`, "content-type": "application/json" },
          })
        ).status,
        200,
      );
    });

    it("8. an expired key stays expired: PATCH ttl or expiresAt is 409 naming why", async () => {
      const p = await project(s);
      const k = (await s.admin.post(`${p.base}/api-keys`, { name: "short", ttl: "1h", deploymentAccess: "all" })).data;
      assert.equal(
        (await s.admin.patch(`${p.base}/api-keys/${k.id}`, { ttl: "2h" })).status,
        200,
        "a live key's lifetime still changes",
      );
      s.clock.advance(2 * 3_600_000 + 1);
      for (const body of [{ ttl: "1000h" }, { expiresAt: new Date(s.clock.now + 86_400_000).toISOString() }]) {
        const r = await s.admin.patch(`${p.base}/api-keys/${k.id}`, body);
        assert.equal(r.status, 409, JSON.stringify(r.data));
        assert.match(r.data.error.message, /expired/);
        assert.deepEqual(paths(r), Object.keys(body));
      }
      const after = (await s.admin.get(`${p.base}/api-keys/${k.id}`)).data;
      assert.equal(after.status, "expired");
      assert.equal((await chat(s.url, k.secret, "x")).data.error.code, "expired_key");
    });

    it("9. no management or gateway body answers 5xx (property)", async () => {
      const p = await project(s, { deploymentAccess: "all" });
      const dep = (await s.admin.post(`${p.base}/deployments`, { name: "dep", model: "m" })).data;
      const sec = (
        await s.admin.post(`${p.base}/secrets`, {
          name: "sec",
          useCase: "huggingface",
          value: { token: "t" },
          allowedUpstreams: [new URL(upstream.url).origin],
        })
      ).data;
      const durations = fc.oneof(
        fc.constantFrom("0", "1s", "36525d", "36526d", "200000000d", "99999999999999999999d", "1h30m", "-1h", "1e9s"),
        fc.stringMatching(/^[0-9]{1,25}[smhd]$/),
      );
      const urls = fc.oneof(
        fc.constantFrom(
          upstream.url,
          "http://169.254.169.254/latest",
          "http://[fd00:ec2::254]/",
          "http://[::ffff:169.254.169.254]/",
          `${s.url}/v1`,
          "http://0xa9fea9fe/",
          "ftp://x",
        ),
        fc.webUrl(),
      );
      const nested = fc
        .integer({ min: 1, max: 3000 })
        .map((n) => JSON.parse(`${"[".repeat(Math.min(n, 64))}${"]".repeat(Math.min(n, 64))}`));
      const value = fc.oneof(
        fc.anything(),
        durations,
        urls,
        nested,
        fc.constant(1e308),
        fc.constant(-1),
        fc.constant(sec.id),
      );
      const fields = [
        "name",
        "model",
        "ttl",
        "expiresAt",
        "explicitMaxTtl",
        "increment",
        "numUses",
        "labels",
        "scope",
        "enabled",
        "rateLimit",
        "allowedCidrs",
        "upstreamUrl",
        "upstreamSecret",
        "allowedUpstreams",
        "value",
        "useCase",
        "messages",
        "input",
        "prompt",
        "stream",
        "status",
        "token",
      ];
      const body = fc.oneof(fc.anything(), fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 6 }));
      const targets: [string, string][] = [
        ["POST", `${p.base}/api-keys`],
        ["PATCH", `${p.base}/api-keys/${p.key.id}`],
        ["POST", `${p.base}/api-keys/${p.key.id}/renew`],
        ["POST", `${p.base}/deployments`],
        ["PATCH", `${p.base}/deployments/${dep.id}`],
        ["POST", `${p.base}/secrets`],
        ["PUT", `${p.base}/secrets/${sec.id}/value`],
        ["POST", "/v1/chat/completions"],
        ["POST", "/v1/completions"],
        ["POST", "/v1/embeddings"],
        ["POST", "/v1/inference"],
        ["POST", "/console/api/session"],
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...targets),
          body,
          fc.option(durations),
          async ([method, url], payload, grace) => {
            const r = await s.http.request({
              method,
              url,
              data: payload === undefined ? undefined : JSON.stringify(payload),
              headers: {
                "content-type": "application/json",
                authorization: `Bearer ${url.startsWith("/v1/projects") ? ADMIN_TOKEN : p.key.secret}`,
                "x-keyplane-csrf": "x",
              },
            });
            assert.ok(
              r.status < 500,
              `${method} ${url} ${JSON.stringify(payload)?.slice(0, 300)} -> ${r.status} ${JSON.stringify(r.data)}`,
            );
            if (grace !== null) {
              const d = await s.admin.delete(
                `${p.base}/api-keys/key_0000000000000000000000?gracePeriod=${encodeURIComponent(grace)}`,
              );
              assert.ok(d.status < 500, `gracePeriod=${grace} -> ${d.status}`);
            }
          },
        ),
        { numRuns: 250 },
      );
    });
  });
}

describe("security model: egress, throttling, logs, metrics", function () {
  this.timeout(120_000);

  it("5. link-local and metadata addresses are refused when set, in every encoding", async () => {
    const s = await startTestServer("sqlite", {
      server: { upstreamResolver: async (h) => (h === "meta.test" ? [{ address: "169.254.169.254", family: 4 }] : []) },
    });
    try {
      const { base, asKey } = await project(s);
      const refused = [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[fe80::1]/",
        "http://0xa9fea9fe/",
        "http://2852039166/",
        "http://0251.0376.0251.0376/",
        "http://0.0.0.0:9/",
        "http://meta.test/v1",
      ];
      for (const url of refused) {
        const r = await asKey.post(`${base}/deployments`, { name: "meta", model: "m", upstreamUrl: url });
        assert.equal(r.status, 400, `${url}: ${JSON.stringify(r.data)}`);
        assert.deepEqual(paths(r), ["upstreamUrl"]);
      }
      const ok = await asKey.post(`${base}/deployments`, {
        name: "private",
        model: "m",
        upstreamUrl: "http://10.1.2.3:8000/v1",
      });
      assert.equal(ok.status, 201, "private ranges stay allowed");
      assert.deepEqual(
        paths(await asKey.patch(`${base}/deployments/${ok.data.id}`, { upstreamUrl: "http://169.254.169.254/" })),
        ["upstreamUrl"],
      );
      assert.deepEqual(
        addressForms("::ffff:169.254.169.254").map((f) => f.address),
        ["::ffff:169.254.169.254", "169.254.169.254"],
      );
    } finally {
      await s.close();
    }
  });

  it("5. a host name is judged on the address it resolves to when each connection is made", async () => {
    const upstream = await startOpenAiUpstream();
    const port = new URL(upstream.url).port;
    const dns = new Map<string, string>([
      ["model.test", "127.0.0.1"],
      ["rebind.test", "127.0.0.1"],
      ["later.test", "10.9.9.9"],
      ["pinned.test", "10.9.9.9"],
    ]);
    const resolver = async (h: string) => (dns.has(h) ? [{ address: dns.get(h)!, family: 4 }] : []);
    const s = await startTestServer("sqlite", { server: { upstreamResolver: resolver } });
    const strict = await startTestServer("sqlite", {
      server: { upstreamResolver: resolver, upstreamDeny: ["127.0.0.0/8"], upstreamAllow: ["pinned.test"] },
    });
    try {
      const { base, key } = await project(s, { deploymentAccess: "all" });
      assert.equal(
        (
          await s.admin.post(`${base}/deployments`, {
            name: "model",
            model: "m",
            upstreamUrl: `http://model.test:${port}/v1`,
          })
        ).status,
        201,
      );
      assert.equal((await chat(s.url, key.secret, "model")).status, 200);
      const reached = upstream.calls.length;
      assert.ok(reached > 0);
      // Rebound to the metadata address after it was set: refused at connect time.
      assert.equal(
        (
          await s.admin.post(`${base}/deployments`, {
            name: "rebind",
            model: "m",
            upstreamUrl: `http://rebind.test:${port}/v1`,
          })
        ).status,
        201,
      );
      dns.set("rebind.test", "169.254.169.254");
      const r = await chat(s.url, key.secret, "rebind");
      assert.equal(r.status, 502);
      assert.match(r.data.error.message, /egress policy/);

      // With loopback denied, a name set while it pointed elsewhere reaches nothing once it points there.
      const sp = await project(strict, { deploymentAccess: "all" });
      assert.deepEqual(
        paths(
          await strict.admin.post(`${sp.base}/deployments`, { name: "lit", model: "m", upstreamUrl: upstream.url }),
        ),
        ["upstreamUrl"],
      );
      assert.equal(
        (
          await strict.admin.post(`${sp.base}/deployments`, {
            name: "later",
            model: "m",
            upstreamUrl: `http://later.test:${port}/v1`,
          })
        ).status,
        201,
      );
      dns.set("later.test", "127.0.0.1");
      const denied = await chat(strict.url, sp.key.secret, "later");
      assert.equal(denied.status, 502);
      assert.match(denied.data.error.message, /egress policy/);
      assert.equal(upstream.calls.length, reached, "the denied upstream received nothing");
      // A host named by --upstream-allow passes whatever it resolves to.
      dns.set("pinned.test", "127.0.0.1");
      assert.equal(
        (
          await strict.admin.post(`${sp.base}/deployments`, {
            name: "pinned",
            model: "m",
            upstreamUrl: `http://pinned.test:${port}/v1`,
          })
        ).status,
        201,
      );
      assert.equal((await chat(strict.url, sp.key.secret, "pinned")).status, 200);
    } finally {
      await s.close();
      await strict.close();
      await upstream.close();
    }
  });

  it("5. --upstream-deny, --metrics-token and log redaction in the real binary", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const srv = await spawnServer([
      "--data-dir",
      mkdtempSync(join(tmpdir(), "kp-sec-")),
      "--upstream-deny",
      "10.0.0.0/8,blocked.example",
      "--metrics-token",
      "metrics-secret-42",
    ]);
    try {
      const a = admin(srv.url);
      const p = await a.post("/v1/projects", { name: "flags" });
      for (const url of ["http://10.1.2.3/v1", "http://blocked.example/v1"])
        assert.deepEqual(
          paths(await a.post(`/v1/projects/${p.data.id}/deployments`, { name: "dep", model: "m", upstreamUrl: url })),
          ["upstreamUrl"],
        );
      assert.equal(
        (
          await a.post(`/v1/projects/${p.data.id}/deployments`, {
            name: "dep",
            model: "m",
            upstreamUrl: "http://192.168.1.9/v1",
          })
        ).status,
        201,
      );

      assert.equal((await axios.get(`${srv.url}/metrics`, { validateStatus: () => true })).status, 401);
      assert.equal(
        (
          await axios.get(`${srv.url}/metrics`, {
            validateStatus: () => true,
            headers: { authorization: "Bearer wrong" },
          })
        ).status,
        401,
      );
      assert.equal(
        (await axios.get(`${srv.url}/metrics`, { headers: { authorization: "Bearer metrics-secret-42" } })).status,
        200,
      );
      assert.equal((await a.get("/metrics")).status, 200, "the admin token reads metrics too");

      const leaked = "kp_QUERYleaked0123456789abcdefABCDEF";
      await axios.get(
        `${srv.url}/v1/models?api_key=${leaked}&key=plainsecret1&token=plainsecret2&x=${leaked}2&page=3`,
        { validateStatus: () => true },
      );
      await new Promise((r) => setTimeout(r, 200));
      const logs = srv.logs();
      assert.ok(
        logs.includes("/v1/models?api_key=[redacted]&key=[redacted]&token=[redacted]&x=[redacted]&page=3"),
        logs.slice(-2000),
      );
      for (const secret of [leaked, "plainsecret1", "plainsecret2", "metrics-secret-42", ADMIN_TOKEN])
        assert.ok(!logs.includes(secret), secret);
    } finally {
      await srv.stop();
    }
    assert.equal(loggableUrl("/v1/x?API%5FKEY=abc&q=kp_abc"), "/v1/x?API%5FKEY=[redacted]&q=[redacted]");
    assert.equal(jsonTooDeep('["[[[[", [[1]]]', 3), false);
    assert.equal(jsonTooDeep("[[[[1]]]]", 3), true);
  });

  it("8. console sign-in is throttled per client address; a right token from elsewhere still signs in", async () => {
    const s = await startTestServer("sqlite", { server: { trustedProxies: ["127.0.0.1"] } });
    try {
      const from = (address: string) => ({ "x-keyplane-csrf": "sign-in", "x-forwarded-for": address });
      for (let i = 0; i < 10; i++) assert.equal((await signIn(s.http, `wrong-${i}`, from("203.0.113.5"))).status, 401);
      const locked = await signIn(s.http, ADMIN_TOKEN, from("203.0.113.5"));
      assert.equal(locked.status, 429);
      assert.equal(locked.data.error.code, "rate_limited");
      assert.equal(locked.headers["retry-after"], "900");
      assert.equal(
        (await signIn(s.http, ADMIN_TOKEN, from("198.51.100.7"))).status,
        201,
        "another address is never locked out",
      );
      s.clock.advance(15 * 60_000);
      assert.equal((await signIn(s.http, ADMIN_TOKEN, from("203.0.113.5"))).status, 201, "the window ends");
    } finally {
      await s.close();
    }
  });

  it("9. every file of an SQLite data dir is its owner's alone, an older server's 0644 database files included", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kp-modes-"));
    const modes = () =>
      Object.fromEntries(readdirSync(dataDir).map((f) => [f, (statSync(join(dataDir, f)).mode & 0o777).toString(8)]));
    let s = await startTestServer("sqlite", { server: { dataDir } });
    try {
      const { secret } = await seedKey(s.admin, { deploymentAccess: "all" });
      assert.equal((await gateway(s.url, secret)).status, 200);
      await s.admin.get("/v1/projects"); // the access log and usage written
    } finally {
      await s.close();
    }
    // What an older server left: its database files made with the process's umask.
    for (const f of readdirSync(dataDir)) if (f.includes(".db")) chmodSync(join(dataDir, f), 0o644);
    s = await startTestServer("sqlite", { server: { dataDir } });
    try {
      const found = modes();
      assert.ok(Object.keys(found).includes("access-log.db") && Object.keys(found).includes("keyplane.db"));
      assert.deepEqual(
        Object.entries(found).filter(([, mode]) => mode !== "600"),
        [],
        JSON.stringify(found),
      );
    } finally {
      await s.close();
    }
  });
});
