import { strict as assert } from "node:assert";
import OpenAI from "openai";
import { freePort } from "../../harness/net";
import { gateway, seedProject } from "../helpers/http";
import { type OpenAiUpstream, STREAMED_TEXT, startOpenAiUpstream } from "../helpers/openai-upstream";
import { DIALECTS, startTestServer, type TestServer } from "../helpers/server";

const HF_TOKEN = "hf_UPSTREAM_token_0123456789";
const GENERIC_TOKEN = "generic_UPSTREAM_token_abcdef";
const messages = [{ role: "user" as const, content: "hello gateway" }];

/** The APIError a call fails with (the official client's view of keyplane's error body). */
async function apiError(call: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await call;
  } catch (e) {
    assert.ok(e instanceof OpenAI.APIError, `an APIError, got ${e}`);
    return e;
  }
  assert.fail("the call succeeded");
}

for (const dialect of DIALECTS) {
  describe(`gateway with the official openai client (${dialect})`, () => {
    let s: TestServer;
    let upstream: OpenAiUpstream;
    let projectId: string;
    const dep: Record<string, string> = {};
    const keys: Record<string, { id: string; secret: string }> = {};
    const client = (apiKey: string, extra: Partial<ConstructorParameters<typeof OpenAI>[0]> = {}) =>
      new OpenAI({ baseURL: `${s.url}/v1`, apiKey, maxRetries: 0, ...extra });
    const callsFor = (model: string) => upstream.calls.filter((c) => c.body.model === model);

    before(async () => {
      s = await startTestServer(dialect);
      upstream = await startOpenAiUpstream();
      const allowedUpstreams = [new URL(upstream.url).origin];
      const deployments: Record<string, Record<string, unknown>> = {
        llama: { model: "llama-3-8b" },
        vllm: { model: "meta/llama-3-70b", upstreamUrl: upstream.url, upstreamSecret: "hf" },
        "vllm-generic": { model: "qwen-7b", upstreamUrl: `${upstream.url}/`, upstreamSecret: "generic" },
        "vllm-open": { model: "open-model", upstreamUrl: `${upstream.url}?tenant=a` },
        paused: { model: "pause-model", upstreamUrl: upstream.url },
        rejecting: { model: "reject-model", upstreamUrl: upstream.url },
        silent: { model: "silent-model", upstreamUrl: upstream.url },
        down: { model: "m", upstreamUrl: `http://127.0.0.1:${await freePort()}/v1` },
        stopped: { model: "m", status: "stopped" },
        "not-bound": { model: "m" },
      };
      const seeded = await seedProject(s.admin, {
        name: "gw",
        secrets: {
          hf: { useCase: "huggingface", value: { token: HF_TOKEN }, allowedUpstreams },
          generic: { useCase: "generic", value: { data: { token: GENERIC_TOKEN } }, allowedUpstreams },
        },
        deployments,
        keys: {
          bound: { bind: Object.keys(deployments).filter((n) => n !== "not-bound") },
          all: { deploymentAccess: "all" },
          project: { scope: "project" },
          renewable: { ttl: "1h", renewable: true },
        },
      });
      projectId = seeded.projectId;
      Object.assign(dep, seeded.deployments);
      Object.assign(keys, seeded.keys);
    });
    after(async () => {
      await s.close();
      await upstream.close();
    });

    it("answers a chat completion from the reference model", async () => {
      const r = await client(keys.bound.secret).chat.completions.create({ model: "llama", messages });
      assert.equal(r.choices[0].message.content, "echo: hello gateway");
      assert.equal(r.model, "llama");
    });

    it("streams the reference model's echo as SSE the client assembles", async () => {
      const stream = await client(keys.bound.secret).chat.completions.create({
        model: "llama",
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      const finish: (string | null)[] = [];
      let usage: unknown;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks++;
        assert.equal(chunk.object, "chat.completion.chunk");
        for (const choice of chunk.choices) {
          text += choice.delta.content ?? "";
          finish.push(choice.finish_reason);
        }
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(text, "echo: hello gateway");
      assert.ok(chunks > 3, "several chunks, not one");
      assert.equal(finish.at(-1), "stop");
      assert.deepEqual(usage, { prompt_tokens: 13, completion_tokens: 19, total_tokens: 32 });
    });

    it("answers completions and embeddings from the reference model", async () => {
      const c = await client(keys.bound.secret).completions.create({ model: "llama", prompt: "say this" });
      assert.equal(c.object, "text_completion");
      assert.equal(c.choices[0].text, "echo: say this");
      const streamed = await client(keys.bound.secret).completions.create({
        model: "llama",
        prompt: "say that",
        stream: true,
      });
      let text = "";
      for await (const chunk of streamed) text += chunk.choices[0]?.text ?? "";
      assert.equal(text, "echo: say that");
      const e = await client(keys.bound.secret).embeddings.create({
        model: "llama",
        input: ["alpha", "beta", "alpha"],
      });
      assert.equal(e.data.length, 3);
      assert.equal(e.data[0].embedding.length, 8);
      assert.deepEqual(
        Array.from(e.data[0].embedding),
        Array.from(e.data[2].embedding),
        "the same text embeds the same",
      );
      assert.notDeepEqual(Array.from(e.data[0].embedding), Array.from(e.data[1].embedding));
      const floats = await client(keys.bound.secret).embeddings.create({
        model: "llama",
        input: "alpha",
        encoding_format: "float",
      });
      assert.deepEqual(
        floats.data[0].embedding.map((x) => Math.fround(x)),
        Array.from(e.data[0].embedding),
      );
    });

    it("passes calls upstream with the deployment's model and the secret's token, never the caller's key", async () => {
      const before = upstream.calls.length;
      const chat = await client(keys.bound.secret).chat.completions.create({
        model: "vllm",
        messages,
        temperature: 0.2,
      });
      assert.equal(chat.choices[0].message.content, "upstream meta/llama-3-70b", "the upstream's body comes back");
      const completion = await client(keys.bound.secret).completions.create({ model: "vllm-generic", prompt: "p" });
      assert.equal(completion.choices[0].text, "upstream qwen-7b");
      const embedding = await client(keys.bound.secret).embeddings.create({ model: "vllm-open", input: ["a", "b"] });
      assert.deepEqual(Array.from(embedding.data[1].embedding), [0.25, 0.5, 1]);
      const seen = upstream.calls.slice(before);
      assert.deepEqual(
        seen.map((c) => [c.path, c.body.model, c.headers.authorization]),
        [
          ["/v1/chat/completions", "meta/llama-3-70b", `Bearer ${HF_TOKEN}`],
          ["/v1/completions", "qwen-7b", `Bearer ${GENERIC_TOKEN}`],
          ["/v1/embeddings?tenant=a", "open-model", undefined],
        ],
      );
      assert.equal(seen[0].body.temperature, 0.2, "other fields pass through");
      assert.deepEqual(seen[0].body.messages, messages);
      assert.equal(seen[2].body.encoding_format, "base64", "the client's own fields pass through");
      for (const call of seen) {
        assert.ok(!JSON.stringify(call).includes(keys.bound.secret), "the caller's key reached the upstream");
        assert.equal(call.headers["x-api-key"], undefined);
      }
    });

    it("sends /v1/inference upstream as a chat completion, a plain input as the user message", async () => {
      const r = await s.http.post(
        "/v1/inference",
        { model: "vllm", input: "plain text" },
        { headers: { "x-api-key": keys.bound.secret } },
      );
      assert.equal(r.status, 200, JSON.stringify(r.data));
      const call = upstream.calls.at(-1)!;
      assert.equal(call.path, "/v1/chat/completions");
      assert.deepEqual(call.body, { model: "meta/llama-3-70b", messages: [{ role: "user", content: "plain text" }] });
    });

    it("returns the upstream's status, headers and error body as they are", async () => {
      const e = await apiError(client(keys.bound.secret).chat.completions.create({ model: "rejecting", messages }));
      assert.equal(e.status, 400);
      assert.equal(e.code, "context_length_exceeded");
      const raw = await s.http.post(
        "/v1/chat/completions",
        { model: "rejecting", messages },
        { headers: { authorization: `Bearer ${keys.bound.secret}` } },
      );
      assert.equal(raw.headers["x-request-id"], "up-rejected");
      assert.match(String(raw.headers["content-type"]), /^application\/json/);
    });

    it("streams an upstream answer chunk by chunk: the first chunk arrives while the upstream still holds the rest", async () => {
      const hold = upstream.holdNext("pause-model");
      const stream = await client(keys.bound.secret).chat.completions.create({
        model: "paused",
        messages,
        stream: true,
      });
      let text = "";
      let first = true;
      for await (const chunk of stream) {
        if (first) {
          // The upstream has sent one chunk and waits for release(): had the gateway buffered,
          // this chunk would never arrive and the test would time out.
          assert.equal(hold.finished(), false);
          first = false;
          hold.release();
        }
        text += chunk.choices[0]?.delta.content ?? "";
      }
      assert.equal(text, STREAMED_TEXT);
      assert.equal(callsFor("pause-model").at(-1)!.body.stream, true);
    });

    it("aborts the upstream call when the client goes away", async () => {
      const hold = upstream.holdNext("pause-model");
      const stream = await client(keys.bound.secret).chat.completions.create({
        model: "paused",
        messages,
        stream: true,
      });
      for await (const _chunk of stream) {
        stream.controller.abort();
        break;
      }
      await hold.closedEarly; // resolves only when the upstream's connection closed before its answer was complete
      hold.release();
      assert.equal(hold.finished(), false);
    });

    it("aborts the upstream call when the client goes away before the upstream answers", async () => {
      const hold = upstream.holdNext("silent-model");
      const abort = new AbortController();
      const call = client(keys.bound.secret).chat.completions.create(
        { model: "silent", messages },
        { signal: abort.signal },
      );
      await hold.arrived;
      abort.abort();
      await assert.rejects(call, OpenAI.APIUserAbortError);
      await hold.closedEarly; // resolves only when the gateway closed its upstream connection
    });

    it("answers 502 upstream_failed when the upstream is down", async () => {
      const e = await apiError(client(keys.bound.secret).chat.completions.create({ model: "down", messages }));
      assert.equal(e.status, 502);
      assert.equal(e.code, "upstream_failed");
      assert.ok(!e.message.includes("127.0.0.1"), "the upstream's address is not shown to callers");
      assert.match(
        (await s.http.get("/metrics")).data,
        /keyplane_gateway_decisions_total\{outcome="upstream_failed"\} [1-9]/,
      );
    });

    it("lists exactly the deployments each key may call", async () => {
      const ids = async (key: string) => {
        const page = await client(key).models.list();
        for (const m of page.data) assert.equal(m.object, "model");
        return page.data.map((m) => m.id);
      };
      const running = [
        "down",
        "llama",
        "not-bound",
        "paused",
        "rejecting",
        "silent",
        "vllm",
        "vllm-generic",
        "vllm-open",
      ];
      assert.deepEqual(
        await ids(keys.bound.secret),
        running.filter((n) => n !== "not-bound"),
      );
      assert.deepEqual(await ids(keys.all.secret), running);
      assert.deepEqual(await ids(keys.project.secret), running);
      assert.deepEqual(await ids(keys.renewable.secret), [], "no bindings, no deployments");
      const raw = await s.http.get("/v1/models", { headers: { authorization: `Bearer ${keys.bound.secret}` } });
      assert.equal(raw.data.object, "list");
      assert.deepEqual(Object.keys(raw.data.data[0]).sort(), ["created", "id", "object", "owned_by"]);
    });

    it("documents every gateway route in the generated OpenAPI", async () => {
      const doc = (await s.http.get("/openapi.json")).data;
      for (const path of ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/inference"])
        assert.ok(doc.paths[path].post.requestBody, path);
      assert.ok(doc.paths["/v1/models"].get.responses["200"]);
      assert.ok(
        doc.paths["/v1/projects/{projectId}/deployments"].post.requestBody.content["application/json"].schema.properties
          .upstreamSecret,
      );
    });

    it("takes the key from x-api-key next to a placeholder Bearer (the Gcore seed's client)", async () => {
      const gcore = client("notused", { defaultHeaders: { "x-api-key": keys.bound.secret } });
      assert.equal(
        (await gcore.chat.completions.create({ model: "llama", messages })).choices[0].message.content,
        "echo: hello gateway",
      );
      assert.ok((await gcore.models.list()).data.length > 0);
      const alone = await apiError(client("notused").chat.completions.create({ model: "llama", messages }));
      assert.equal(alone.status, 401);
      assert.equal(alone.code, "invalid_key");
    });

    it("surfaces keyplane's refusals as APIError status and code", async () => {
      const cases: [string, string, number, string][] = [
        [keys.bound.secret, "not-bound", 403, "deployment_not_bound"],
        [keys.bound.secret, "stopped", 403, "deployment_not_running"],
        [keys.bound.secret, "no-such-model", 404, "model_not_found"],
        // A one-character typo (never the character that is there already).
        [
          `${keys.bound.secret.slice(0, -1)}${keys.bound.secret.endsWith("x") ? "y" : "x"}`,
          "llama",
          401,
          "invalid_key",
        ],
      ];
      for (const [key, model, status, code] of cases) {
        const e = await apiError(client(key).chat.completions.create({ model, messages }));
        assert.equal(e.status, status, model);
        assert.equal(e.code, code, model);
      }
      const models = await apiError(client("kp_nope").models.list());
      assert.equal(models.status, 401);
    });

    it("accepts body-less management calls sent with content-type: application/json", async () => {
      const call = (method: string, path: string) =>
        fetch(`${s.url}/v1/projects/${projectId}${path}`, {
          method,
          headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" },
        });
      assert.equal((await call("PUT", `/api-keys/${keys.renewable.id}/deployments/${dep.llama}`)).status, 200);
      assert.equal((await call("POST", `/api-keys/${keys.renewable.id}/renew`)).status, 200);
      assert.equal((await call("DELETE", `/api-keys/${keys.renewable.id}/deployments/${dep.llama}`)).status, 204);
      assert.equal((await call("DELETE", `/api-keys/${keys.renewable.id}`)).status, 204);
      const broken = await fetch(`${s.url}/v1/projects`, {
        method: "POST",
        headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" },
        body: "{",
      });
      assert.equal(((await broken.json()) as any).error.code, "invalid_json", "a body that is there is still parsed");
    });

    it("checks upstreamSecret: a secret of this project that holds a token, and not deletable while used", async () => {
      const s3 = await s.admin.post(`/v1/projects/${projectId}/secrets`, {
        name: "s3",
        useCase: "s3",
        value: { accessKeyId: "a", secretAccessKey: "b" },
      });
      const other = (await s.admin.post("/v1/projects", { name: "other" })).data.id;
      const foreign = await s.admin.post(`/v1/projects/${other}/secrets`, {
        name: "hf",
        useCase: "huggingface",
        value: { token: "t" },
      });
      for (const upstreamSecret of [s3.data.id, foreign.data.id, "sec_0000000000000000000000", "not-an-id"]) {
        const r = await s.admin.post(`/v1/projects/${projectId}/deployments`, {
          name: "bad",
          model: "m",
          upstreamSecret,
        });
        assert.equal(r.status, 400, upstreamSecret);
        assert.deepEqual(
          r.data.error.details.map((d: any) => d.path),
          ["upstreamSecret"],
        );
      }
      const patched = await s.admin.patch(`/v1/projects/${projectId}/deployments/${dep["vllm-open"]}`, {
        upstreamSecret: s3.data.id,
      });
      assert.equal(patched.status, 400);
      const hf = (await s.admin.get(`/v1/projects/${projectId}/secrets`, { params: { search: "hf" } })).data.items[0];
      assert.equal((await s.admin.get(`/v1/projects/${projectId}/deployments/${dep.vllm}`)).data.upstreamSecret, hf.id);
      const del = await s.admin.delete(`/v1/projects/${projectId}/secrets/${hf.id}`);
      assert.equal(del.status, 409);
    });
  });
}

describe("gateway upstream timeout", () => {
  let s: TestServer;
  let upstream: OpenAiUpstream;
  before(async () => {
    s = await startTestServer("sqlite", { upstreamTimeoutMs: 300 });
    upstream = await startOpenAiUpstream();
  });
  after(async () => {
    await s.close();
    await upstream.close();
  });

  it("answers 502 upstream_failed when the upstream says nothing for --upstream-timeout", async () => {
    const { keys } = await seedProject(s.admin, {
      name: "timeouts",
      deployments: { silent: { model: "silent-model", upstreamUrl: upstream.url } },
      keys: { k: { deploymentAccess: "all" } },
    });
    const r = await gateway(s.url, keys.k.secret, { model: "silent", content: messages[0].content });
    assert.equal(r.status, 502);
    assert.equal(r.data.error.code, "upstream_failed");
    assert.equal(upstream.calls.length, 1, "the call did reach the upstream");
  });
});
