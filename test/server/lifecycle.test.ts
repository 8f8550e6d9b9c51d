import { strict as assert } from "node:assert";
import { burst, createKey, gateway, seedProject } from "../helpers/http";
import { DIALECTS, startTestServer, type TestServer } from "../helpers/server";

for (const dialect of DIALECTS) {
  describe(`server over HTTP (${dialect})`, () => {
    let s: TestServer;
    let projectId: string;
    let depA: string;
    const keysSeen: string[] = [];
    before(async () => {
      s = await startTestServer(dialect);
      const p = await seedProject(s.admin, {
        name: "acme",
        description: "test",
        deployments: { "llama-a": { model: "llama-3-8b" }, "llama-b": { model: "llama-3-70b" } },
      });
      projectId = p.projectId;
      depA = p.deployments["llama-a"];
    });
    after(async () => s.close());

    /** A key of acme, remembered for the final greps. */
    const newKey = async (body: Record<string, unknown> = {}) => {
      const key = await createKey(s.admin, projectId, body);
      keysSeen.push(key.secret);
      return key;
    };
    const call = (key: string, model = "llama-a") => gateway(s.url, key, { model, content: "hello" });

    it("walks the key lifecycle: shown once, bound, used, revoked", async () => {
      const key = await newKey({ labels: { team: "ml" } });
      assert.match(key.secret, /^kp_[0-9A-Za-z]{38}$/);
      assert.equal(key.truncated, `kp_••••••••${key.secret.slice(-4)}`);
      const got = await s.admin.get(`/v1/projects/${projectId}/api-keys/${key.id}`);
      assert.equal(got.status, 200);
      assert.equal(got.data.secret, undefined);
      assert.ok(!JSON.stringify(got.data).includes(key.secret));
      const list = await s.admin.get(`/v1/projects/${projectId}/api-keys`);
      assert.ok(!JSON.stringify(list.data).includes(key.secret));
      assert.ok(list.data.items.some((k: any) => k.id === key.id && k.truncated === key.truncated));

      let r = await call(key.secret);
      assert.equal(r.status, 403);
      assert.equal(r.data.error.code, "deployment_not_bound");

      const bind = await s.admin.put(`/v1/projects/${projectId}/api-keys/${key.id}/deployments/${depA}`);
      assert.equal(bind.status, 200);
      assert.equal(
        (await s.admin.put(`/v1/projects/${projectId}/api-keys/${key.id}/deployments/${depA}`)).status,
        200,
        "idempotent",
      );
      r = await call(key.secret);
      assert.equal(r.status, 200);
      assert.equal(r.data.object, "chat.completion");
      assert.equal(r.data.choices[0].message.content, "echo: hello");
      r = await s.http.post(
        "/v1/inference",
        { model: "llama-a", input: "hi" },
        { headers: { "x-api-key": key.secret } },
      );
      assert.equal(r.status, 200);
      r = await call(key.secret, "llama-b");
      assert.equal(r.status, 403, "bound to a only");
      r = await call(key.secret, "no-such-model");
      assert.equal(r.status, 404);
      assert.equal(r.data.error.code, "model_not_found");

      const bindings = await s.admin.get(`/v1/projects/${projectId}/api-keys/${key.id}/deployments`);
      assert.deepEqual(
        bindings.data.items.map((b: any) => b.deploymentId),
        [depA],
      );
      assert.equal(
        (await s.admin.delete(`/v1/projects/${projectId}/api-keys/${key.id}/deployments/${depA}`)).status,
        204,
      );
      assert.equal((await call(key.secret)).data.error.code, "deployment_not_bound", "unbinding takes effect at once");
      await s.admin.put(`/v1/projects/${projectId}/api-keys/${key.id}/deployments/${depA}`);

      assert.equal((await s.admin.delete(`/v1/projects/${projectId}/api-keys/${key.id}`)).status, 204);
      r = await call(key.secret);
      assert.equal(r.status, 401);
      assert.equal(r.data.error.code, "revoked_key");
      assert.equal((await s.admin.get(`/v1/projects/${projectId}/api-keys/${key.id}`)).status, 404);
    });

    it("refuses a revoked key from the very next call, even under load", async () => {
      const key = await newKey({ deploymentAccess: "all" });
      let revokedAt = Infinity;
      const lateSuccesses: number[] = [];
      let calls = 0;
      const worker = async () => {
        for (;;) {
          const sentAt = performance.now();
          const r = await call(key.secret);
          calls++;
          if (r.status === 200 && sentAt > revokedAt) lateSuccesses.push(sentAt - revokedAt);
          if (r.status !== 200) return r.data.error.code;
          if (performance.now() - revokedAt > 1000) return "still accepted a second after the revoke";
        }
      };
      const workers = burst(8, worker);
      await new Promise((r) => setTimeout(r, 150));
      assert.equal((await s.admin.delete(`/v1/projects/${projectId}/api-keys/${key.id}`)).status, 204);
      revokedAt = performance.now();
      assert.deepEqual(await workers, Array(8).fill("revoked_key"));
      assert.ok(calls > 16, `the workers made calls before the revoke (${calls})`);
      assert.deepEqual(lateSuccesses, [], "no call sent after the revoke was answered succeeded");
    });

    it("answers 401 with the exact reason", async () => {
      let r = await gateway(s.url, undefined, { model: "llama-a" });
      assert.equal(r.data.error.code, "missing_key");
      r = await call("kp_notakey");
      assert.equal(r.status, 401);
      assert.equal(r.data.error.code, "invalid_key");
      const key = await newKey();
      const flipped = key.secret.slice(0, 10) + (key.secret[10] === "a" ? "b" : "a") + key.secret.slice(11);
      assert.equal((await call(flipped)).data.error.code, "invalid_key", "checksum catches a typo");
    });

    it("expires keys by ttl and by expiresAt (injected clock)", async () => {
      const key = await newKey({ ttl: "1h", deploymentAccess: "all" });
      assert.equal((await call(key.secret)).status, 200);
      s.clock.advance(3600_000 + 1);
      const r = await call(key.secret);
      assert.equal(r.status, 401);
      assert.equal(r.data.error.code, "expired_key");
      const at = new Date(s.clock.now + 60_000).toISOString();
      const k2 = await newKey({ expiresAt: at, deploymentAccess: "all" });
      assert.equal(k2.expiresAt, at);
      s.clock.advance(60_001);
      assert.equal((await call(k2.secret)).data.error.code, "expired_key");
    });

    it("spends numUses and then answers exhausted_key", async () => {
      const key = await newKey({ numUses: 2, deploymentAccess: "all" });
      assert.equal((await call(key.secret)).status, 200);
      assert.equal((await call(key.secret)).status, 200);
      const r = await call(key.secret);
      assert.equal(r.status, 401);
      assert.equal(r.data.error.code, "exhausted_key");
      const got = await s.admin.get(`/v1/projects/${projectId}/api-keys/${key.id}`);
      assert.equal(got.data.usesRemaining, 0);
      assert.equal(got.data.status, "exhausted");
    });

    it("refuses a stopped deployment with 403 deployment_not_running", async () => {
      const d = await s.admin.post(`/v1/projects/${projectId}/deployments`, {
        name: "paused",
        model: "m",
        status: "stopped",
      });
      const key = await newKey({ deploymentAccess: "all" });
      const r = await call(key.secret, "paused");
      assert.equal(r.status, 403);
      assert.equal(r.data.error.code, "deployment_not_running");
      await s.admin.patch(`/v1/projects/${projectId}/deployments/${d.data.id}`, { status: "running" });
      assert.equal((await call(key.secret, "paused")).status, 200);
    });

    it("renews within explicitMaxTtl and never past it", async () => {
      const key = await newKey({ ttl: "1h", renewable: true, explicitMaxTtl: "3h" });
      const created = Date.parse(key.createdAt);
      assert.equal(Date.parse(key.maxExpiresAt), created + 3 * 3600_000);
      s.clock.advance(30 * 60_000);
      let r = await s.admin.post(`/v1/projects/${projectId}/api-keys/${key.id}/renew`, {});
      assert.equal(r.status, 200, JSON.stringify(r.data));
      assert.equal(Date.parse(r.data.expiresAt), s.clock.now + 3600_000);
      r = await s.admin.post(`/v1/projects/${projectId}/api-keys/${key.id}/renew`, { increment: "10h" });
      assert.equal(Date.parse(r.data.expiresAt), created + 3 * 3600_000, "capped");
      assert.equal(r.data.warnings.length, 1);
      const fixed = await newKey({ ttl: "1h" });
      r = await s.admin.post(`/v1/projects/${projectId}/api-keys/${fixed.id}/renew`, {});
      assert.equal(r.status, 403);
      assert.equal(r.data.error.code, "not_renewable");
      const capped = await newKey({ ttl: "10h", explicitMaxTtl: "2h" });
      assert.equal(
        Date.parse(capped.expiresAt),
        Date.parse(capped.createdAt) + 2 * 3600_000,
        "first expiry is capped too",
      );
    });

    it("patches name, labels and lifetime in place", async () => {
      const key = await newKey({ ttl: "1h", explicitMaxTtl: "5h" });
      let r = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${key.id}`, {
        name: "renamed",
        labels: { a: "b" },
        ttl: "2h",
      });
      assert.equal(r.status, 200, JSON.stringify(r.data));
      assert.equal(r.data.name, "renamed");
      assert.deepEqual(r.data.labels, { a: "b" });
      assert.equal(Date.parse(r.data.expiresAt), Date.parse(key.createdAt) + 2 * 3600_000);
      r = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${key.id}`, { ttl: "6h" });
      assert.equal(r.status, 400);
      assert.equal(r.data.error.details[0].path, "ttl");
      r = await s.admin.patch(`/v1/projects/${projectId}/api-keys/${key.id}`, { numUses: 3 });
      assert.equal(r.status, 400, "numUses cannot change in place");
    });

    it("validates every field and names it", async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ name: "k", ttl: "5 days" }, "ttl"],
        [{ name: "k", ttl: "1h", expiresAt: new Date(Date.now() + 1e7).toISOString() }, "expiresAt"],
        [{ name: "k", numUses: -1 }, "numUses"],
        [{ name: "k", scope: "root" }, "scope"],
        [{ name: "" }, "name"],
        [{ name: "k", labels: { "bad key!": "x" } }, "labels.bad key!"],
      ];
      for (const [body, path] of cases) {
        const r = await s.admin.post(`/v1/projects/${projectId}/api-keys`, body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.data.error.code, "invalid_request");
        assert.ok(
          r.data.error.details.some((d: any) => d.path === path),
          `${JSON.stringify(r.data.error.details)} names ${path}`,
        );
      }
      const before = (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items.length;
      assert.equal((await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "k", ttl: "bogus" })).status, 400);
      assert.equal(
        (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items.length,
        before,
        "nothing half-written",
      );
      const r = await s.http.post("/v1/projects", "{not json", {
        headers: { authorization: `Bearer test-admin-token-0123456789`, "content-type": "application/json" },
        transformRequest: [(d: unknown) => d],
      });
      assert.equal(r.status, 400);
      assert.equal(r.data.error.code, "invalid_json");
      const big = await s.admin.post("/v1/projects", { name: "big", description: "x".repeat(2 * 1024 * 1024) });
      assert.equal(big.status, 413);
      const nf = await s.admin.get("/v1/nothing-here");
      assert.equal(nf.status, 404);
      assert.equal(nf.data.error.code, "not_found");
    });

    it("keeps secret values encrypted and never returns them", async () => {
      const base = `/v1/projects/${projectId}/secrets`;
      const values = {
        huggingface: { token: "hf_SECRETVALUE_hf_1234" },
        s3: { accessKeyId: "AKIASECRETVALUE", secretAccessKey: "s3SECRETVALUEsecret", region: "eu-west-1" },
        "image-pull": { registry: "ghcr.io", username: "bot", password: "pullSECRETVALUEpw" },
        generic: { data: { API_TOKEN: "genericSECRETVALUE" } },
      };
      const ids: Record<string, string> = {};
      for (const [useCase, value] of Object.entries(values)) {
        const r = await s.admin.post(base, { name: `sec-${useCase}`, useCase, value });
        assert.equal(r.status, 201, JSON.stringify(r.data));
        assert.equal(r.data.version, 1);
        assert.ok(!JSON.stringify(r.data).includes("SECRETVALUE"));
        ids[useCase] = r.data.id;
      }
      const all = await s.admin.get(base);
      assert.ok(!JSON.stringify(all.data).includes("SECRETVALUE"));
      assert.equal(all.data.items.length, 4);
      assert.deepEqual(
        (await s.admin.get(base, { params: { useCase: "s3" } })).data.items.map((x: any) => x.name),
        ["sec-s3"],
      );
      assert.deepEqual(
        (await s.admin.get(base, { params: { search: "hugging" } })).data.items.map((x: any) => x.name),
        ["sec-huggingface"],
      );
      const put = await s.admin.put(`${base}/${ids.huggingface}/value`, { value: { token: "hf_SECRETVALUE_v2" } });
      assert.equal(put.status, 200);
      assert.equal(put.data.version, 2);
      const bad = await s.admin.put(`${base}/${ids.huggingface}/value`, { value: { accessKeyId: "x" } });
      assert.equal(bad.status, 400);
      assert.ok(bad.data.error.details.some((d: any) => d.path.startsWith("value")));
      const badPull = await s.admin.post(base, {
        name: "pull-bad",
        useCase: "image-pull",
        value: { dockerConfigJson: '{"x":1}' },
      });
      assert.equal(badPull.status, 400);
      assert.ok(
        badPull.data.error.details.some((d: any) => d.path.startsWith("value")),
        JSON.stringify(badPull.data),
      );
      const badName = await s.admin.post(base, { name: "Bad_Name", useCase: "generic", value: { data: { a: "b" } } });
      assert.equal(badName.status, 400);
      assert.equal(badName.data.error.details[0].path, "name");
      const taken = await s.admin.post(base, { name: "sec-s3", useCase: "generic", value: { data: { a: "b" } } });
      assert.equal(taken.status, 409);
      assert.equal(taken.data.error.code, "name_taken");
      assert.equal((await s.admin.delete(`${base}/${ids.generic}`)).status, 204);
      assert.equal((await s.admin.get(`${base}/${ids.generic}`)).status, 404);
    });

    it("lets project keys manage only their own project, and inference keys nothing", async () => {
      const other = await s.admin.post("/v1/projects", { name: "other" });
      const pkey = await newKey({ scope: "project" });
      const ikey = await newKey({});
      const asKey = (k: string) => ({ headers: { authorization: `Bearer ${k}` } });
      let r = await s.http.get(`/v1/projects/${projectId}/deployments`, asKey(pkey.secret));
      assert.equal(r.status, 200);
      r = await s.http.post(`/v1/projects/${projectId}/api-keys`, { name: "made-by-key" }, asKey(pkey.secret));
      assert.equal(r.status, 201);
      keysSeen.push(r.data.secret);
      assert.equal(r.data.createdBy, `key:${pkey.id}`);
      r = await s.http.get(`/v1/projects/${other.data.id}/deployments`, asKey(pkey.secret));
      assert.equal(r.status, 403);
      assert.equal(r.data.error.code, "forbidden");
      r = await s.http.get(`/v1/projects`, asKey(pkey.secret));
      assert.equal(r.status, 403);
      r = await s.http.get(`/v1/projects/${projectId}/deployments`, asKey(ikey.secret));
      assert.equal(r.status, 403);
      assert.equal(r.data.error.code, "scope_forbidden");
      r = await s.http.get(`/v1/projects/${projectId}/deployments`);
      assert.equal(r.status, 401);
      r = await s.http.get(`/v1/projects/${projectId}/deployments`, asKey("wrong-token"));
      assert.equal(r.status, 401);
      assert.equal(r.data.error.code, "invalid_key");
      // A binding across projects is refused: the deployment is not in the key's project.
      const od = await s.admin.post(`/v1/projects/${other.data.id}/deployments`, { name: "theirs", model: "m" });
      r = await s.admin.put(`/v1/projects/${projectId}/api-keys/${ikey.id}/deployments/${od.data.id}`);
      assert.equal(r.status, 404);
      r = await call(pkey.secret, "llama-b");
      assert.equal(r.status, 200, "project keys call every deployment of their project");
      r = await call(pkey.secret, "theirs");
      assert.equal(r.status, 404, "and none of another project's");
    });

    it("replays a retried create with the same Idempotency-Key", async () => {
      const headers = { "idempotency-key": "retry-1" };
      const a = await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "idem" }, { headers });
      const b = await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "idem" }, { headers });
      keysSeen.push(a.data.secret);
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.equal(b.data.id, a.data.id);
      assert.equal(b.data.secret, a.data.secret);
      const list = await s.admin.get(`/v1/projects/${projectId}/api-keys`);
      assert.equal(list.data.items.filter((k: any) => k.name === "idem").length, 1);
      const c = await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "different" }, { headers });
      assert.equal(c.status, 409);
      assert.equal(c.data.error.code, "idempotency_key_reused");
      // Concurrent retries still make one object.
      const same = { "idempotency-key": "race-1" };
      const raced = await burst(10, () =>
        s.admin.post(`/v1/projects/${projectId}/deployments`, { name: "raced", model: "m" }, { headers: same }),
      );
      assert.ok(
        raced.every((r) => r.status === 201),
        JSON.stringify(raced.map((r) => r.status)),
      );
      assert.equal(new Set(raced.map((r) => r.data.id)).size, 1);
    });

    it("records an audit trail of writes without secrets", async () => {
      const r = await s.admin.get(`/v1/projects/${projectId}/audit`, { params: { limit: 500 } });
      assert.equal(r.status, 200);
      const actions = new Set(r.data.items.map((e: any) => e.action));
      for (const a of [
        "deployment.create",
        "api_key.create",
        "api_key.revoke",
        "binding.create",
        "binding.delete",
        "secret.create",
        "secret.put_value",
        "api_key.renew",
      ]) {
        assert.ok(actions.has(a), `audit has ${a}`);
      }
      assert.ok(r.data.items.every((e: any) => e.principal === "admin" || e.principal.startsWith("key:")));
      const text = JSON.stringify(r.data);
      assert.ok(!text.includes("SECRETVALUE"));
      for (const k of keysSeen) assert.ok(!text.includes(k));
    });

    it("refuses to delete a project that still has resources", async () => {
      const p = await s.admin.post("/v1/projects", { name: "short-lived" });
      const d = await s.admin.post(`/v1/projects/${p.data.id}/deployments`, { name: "d1", model: "m" });
      let r = await s.admin.delete(`/v1/projects/${p.data.id}`);
      assert.equal(r.status, 409);
      assert.equal(r.data.error.code, "project_not_empty");
      await s.admin.delete(`/v1/projects/${p.data.id}/deployments/${d.data.id}`);
      r = await s.admin.delete(`/v1/projects/${p.data.id}`);
      assert.equal(r.status, 204);
      assert.equal((await s.admin.post("/v1/projects", { name: "acme" })).status, 409);
    });

    it("serves health, readiness, metrics and generated OpenAPI", async () => {
      assert.equal((await s.http.get("/healthz")).data.status, "ok");
      assert.equal((await s.http.get("/readyz")).data.status, "ready");
      const m = await s.http.get("/metrics");
      assert.match(m.data, /keyplane_gateway_decisions_total\{outcome="deployment_not_bound"\} \d+/);
      assert.match(
        m.data,
        /keyplane_http_requests_total\{route="\/v1\/chat\/completions",method="POST",status="403"\} [1-9]\d*/,
      );
      assert.match(
        m.data,
        /keyplane_http_requests_total\{route="\/v1\/projects\/:projectId\/api-keys",method="POST",status="201"\} [1-9]\d*/,
      );
      assert.match(m.data, /keyplane_http_requests_total\{route="\/healthz",method="GET",status="200"\} [1-9]\d*/);
      // Latency histograms per route (the +Inf bucket holds every call), and process metrics beside them.
      const buckets = (m.data as string)
        .split("\n")
        .filter(
          (l) =>
            l.startsWith("keyplane_http_request_duration_seconds_bucket{") &&
            l.includes('route="/v1/chat/completions"') &&
            l.includes('status="403"'),
        );
      assert.ok(buckets.length > 10, "a bucket per bound");
      const inf = Number(
        buckets
          .find((l) => l.includes('le="+Inf"'))
          ?.split(" ")
          .pop(),
      );
      assert.ok(inf >= 1);
      assert.match(
        m.data,
        new RegExp(
          `keyplane_http_request_duration_seconds_count\\{route="/v1/chat/completions",method="POST",status="403"\\} ${inf}\n`,
        ),
      );
      assert.match(m.data, /\nprocess_resident_memory_bytes \d+/);
      assert.match(String(m.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
      const doc = (await s.http.get("/openapi.json")).data;
      assert.equal(doc.openapi, "3.1.0");
      assert.ok(
        doc.paths["/v1/projects/{projectId}/api-keys"].post.requestBody.content["application/json"].schema.properties
          .numUses,
      );
      assert.equal((await s.http.get("/docs/")).status, 200);
    });

    it("stores no key secret and no secret value in clear", async () => {
      const dump = s.dump();
      assert.ok(dump.length > 1000, "the dump has content");
      assert.ok(dump.includes("acme"), "the dump is readable where it should be");
      for (const k of keysSeen) assert.ok(!dump.includes(k), "key secret in the database");
      assert.ok(!dump.includes("SECRETVALUE"), "secret value in the database");
    });
  });
}
