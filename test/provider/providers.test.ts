import { strict as assert } from "node:assert";
import { createServer, type Socket } from "node:net";
import { schemas } from "@keyplane/api";
import { KeyplaneClient } from "../../provider/client";
import { resolveConnection } from "../../provider/config";
import { provider as apiKey, renewalNeed } from "../../provider/resources/api-key";
import { provider as binding } from "../../provider/resources/binding";
import { provider as deployment } from "../../provider/resources/deployment";
import { provider as project } from "../../provider/resources/project";
import { provider as secret } from "../../provider/resources/secret";
import { serverInEnv, type TestServer } from "../helpers/server";

describe("providers called directly against a real server", () => {
  const suite = serverInEnv();
  let s: TestServer;
  let projectId: string;
  let depId: string;
  before(async () => {
    s = suite.server;
    const p = await project.create!({ name: "prov-test" });
    projectId = p.id;
    depId = (await deployment.create!({ project: projectId, name: "dep", model: "m" })).id;
  });

  it("check names each bad field before any API call", async () => {
    const table: [any, Record<string, unknown>, string][] = [
      [secret, { project: "p", name: "Bad_Name", useCase: "generic", value: { data: { a: "b" } } }, "name"],
      [apiKey, { project: "p", name: "k", ttl: "5 days" }, "ttl"],
      [apiKey, { project: "p", name: "k", ttl: "1h", expiresAt: "2030-01-01T00:00:00Z" }, "expiresAt"],
      [
        secret,
        { project: "p", name: "pull", useCase: "image-pull", value: { dockerConfigJson: "{}" } },
        "value.dockerConfigJson",
      ],
      [apiKey, { project: "p", name: "k", numUses: -1 }, "numUses"],
      [apiKey, { project: "p", name: "k", renewBefore: "1h" }, "renewBefore"],
      [deployment, { project: "p", name: "d", model: "m", upstreamUrl: "ftp://x" }, "upstreamUrl"],
      [deployment, { project: "p", name: "d", model: "m", upstreamSecret: "hf-token" }, "upstreamSecret"],
      [project, { name: "UPPER" }, "name"],
      [
        secret,
        {
          project: "p",
          name: "tok",
          useCase: "huggingface",
          value: { token: "t" },
          allowedUpstreams: ["https://hf.example/v1"],
        },
        "allowedUpstreams.0",
      ],
      [apiKey, { project: "p", name: "k", ttl: "200000000d" }, "ttl"],
      [apiKey, { project: "p", name: "k", explicitMaxTtl: "36526d" }, "explicitMaxTtl"],
    ];
    const calls = s.app.server.connections;
    void calls;
    for (const [p, inputs, field] of table) {
      const r = await p.check({}, inputs);
      assert.ok(
        r.failures?.some((f: any) => f.property === field),
        `${JSON.stringify(inputs)} -> ${JSON.stringify(r.failures)}`,
      );
    }
    const unknown = await apiKey.check!({}, { project: "04da6b54-80e4-46f7-96ec-b56ff0331ba9", name: "k" });
    assert.equal(unknown.failures, undefined, "values unknown at preview are not judged");
  });

  it("creates, reads, updates, renews and deletes a key; diff decides replacement", async () => {
    const inputs = {
      project: projectId,
      name: "k",
      ttl: "1h",
      renewable: true,
      explicitMaxTtl: "2h",
      renewBefore: "2h",
    };
    const created = await apiKey.create!(inputs);
    assert.match(created.outs.secret, /^kp_/);
    const read = await apiKey.read!(created.id, created.outs);
    assert.equal(read.props.secret, created.outs.secret, "the secret survives reads");
    let d = await apiKey.diff!(created.id, read.props, { ...inputs, rotationTrigger: "2" });
    assert.deepEqual(d.replaces, ["rotationTrigger"]);
    d = await apiKey.diff!(created.id, read.props, { ...inputs, name: "renamed" });
    assert.ok(d.changes && d.replaces!.length === 0);
    d = await apiKey.diff!(created.id, read.props, { ...inputs, renewBefore: "10m" });
    assert.equal(d.changes, true, "renewBefore changed");
    assert.equal(renewalNeed({ ...read.props, renewBefore: "2h" }), "renew", "inside the window");
    const updated = await apiKey.update!(created.id, read.props, { ...inputs, name: "renamed" });
    assert.equal(updated.outs!.name, "renamed");
    assert.equal(updated.outs!.secret, created.outs.secret);
    assert.ok(Date.parse(updated.outs!.expiresAt) >= Date.parse(created.outs.expiresAt), "renewed in the same update");
    const atMax = await apiKey.create!({ ...inputs, explicitMaxTtl: "1h" });
    assert.equal(renewalNeed(atMax.outs), "replace", "at its explicitMaxTtl a key cannot be renewed: it is replaced");
    d = await apiKey.diff!(atMax.id, atMax.outs, { ...inputs, explicitMaxTtl: "1h" });
    assert.deepEqual(d.replaces, ["expiresAt"]);
    await apiKey.delete!(created.id, updated.outs);
    assert.deepEqual(await apiKey.read!(created.id, updated.outs), {}, "read after delete: gone");
  });

  it("updates, reads and deletes projects and deployments, and notices drift", async () => {
    const p = await project.create!({ name: "crud-project", description: "one" });
    const pu = await project.update!(p.id, p.outs, { name: "crud-project", description: "two" });
    assert.equal(pu.outs!.description, "two");
    assert.deepEqual((await project.diff!(p.id, pu.outs, { name: "other-name" })).replaces, ["name"]);
    const d = await deployment.create!({ project: p.id, name: "crud-dep", model: "m1" });
    const du = await deployment.update!(d.id, d.outs, {
      project: p.id,
      name: "crud-dep",
      model: "m2",
      status: "stopped",
    });
    assert.equal(du.outs!.model, "m2");
    assert.equal(du.outs!.status, "stopped");
    await s.admin.patch(`/v1/projects/${p.id}/deployments/${d.id}`, { model: "changed-out-of-band" });
    const read = await deployment.read!(d.id, du.outs);
    assert.equal(read.props.model, "changed-out-of-band", "refresh sees the drift");
    assert.equal(
      (await deployment.diff!(d.id, read.props, { project: p.id, name: "crud-dep", model: "m2", status: "stopped" }))
        .changes,
      true,
    );
    await assert.rejects(
      project.delete!(p.id, pu.outs),
      /409 project_not_empty/,
      "a project with a deployment is not deleted",
    );
    await deployment.delete!(d.id, du.outs);
    assert.deepEqual(await deployment.read!(d.id, du.outs), {});
    await project.delete!(p.id, pu.outs);
    assert.deepEqual(await project.read!(p.id, pu.outs), {});
  });

  it("binds, notices an out-of-band unbind, and secrets update by version", async () => {
    const key = await apiKey.create!({ project: projectId, name: "b" });
    const b = await binding.create!({ project: projectId, apiKey: key.id, deployment: depId });
    assert.equal(b.id, `${key.id}/${depId}`);
    assert.equal((await binding.read!(b.id, b.outs)).id, b.id);
    await s.admin.delete(`/v1/projects/${projectId}/api-keys/${key.id}/deployments/${depId}`);
    assert.deepEqual(await binding.read!(b.id, b.outs), {});
    const sec = await secret.create!({
      project: projectId,
      name: "tok",
      useCase: "huggingface",
      value: { token: "hf_x" },
    });
    const up = await secret.update!(sec.id, sec.outs, { ...sec.outs, value: { token: "hf_y" } });
    assert.equal(up.outs!.version, 2);
    const sd = await secret.diff!(sec.id, up.outs, { ...up.outs, useCase: "generic" });
    assert.deepEqual(sd.replaces, ["useCase"]);
    // allowedUpstreams goes with the value: a change is an in-place new version, and the server then lets a deployment use it.
    const refused = await deployment.create!({
      project: projectId,
      name: "hf-dep",
      model: "m",
      upstreamUrl: "https://hf.example/v1",
      upstreamSecret: sec.id,
    }).catch((e) => e);
    assert.match(String(refused?.message), /upstreamUrl/);
    const pinned = { ...up.outs, allowedUpstreams: ["https://hf.example"] };
    assert.deepEqual((await secret.diff!(sec.id, up.outs, pinned)).replaces ?? [], []);
    const widened = await secret.update!(sec.id, up.outs, pinned);
    assert.equal(widened.outs!.version, 3);
    assert.deepEqual((await s.admin.get(`/v1/projects/${projectId}/secrets/${sec.id}`)).data.allowedUpstreams, [
      "https://hf.example",
    ]);
    const dep = await deployment.create!({
      project: projectId,
      name: "hf-dep",
      model: "m",
      upstreamUrl: "https://hf.example/v1",
      upstreamSecret: sec.id,
    });
    assert.ok(dep.id);
    // A description is metadata: updated in place, no new version (what the SDK's SecretArgs documents).
    const described = { ...widened.outs, description: "the upstream's token" };
    const dd = await secret.diff!(sec.id, widened.outs, described);
    assert.equal(dd.changes, true);
    assert.deepEqual(dd.replaces, []);
    const redescribed = await secret.update!(sec.id, widened.outs, described);
    assert.equal(redescribed.outs!.version, 3);
    assert.equal(
      (await s.admin.get(`/v1/projects/${projectId}/secrets/${sec.id}`)).data.description,
      "the upstream's token",
    );
  });

  it("a key reported leaked: refresh sees it, diff replaces it, the replacement is a new key and the leaked one is revoked at once", async () => {
    const inputs = {
      project: projectId,
      name: "exposed",
      ttl: "1h",
      renewable: true,
      renewBefore: "2h",
      rotationGracePeriod: "30m",
    };
    const created = await apiKey.create!(inputs);
    const fresh = await apiKey.read!(created.id, created.outs);
    assert.equal(fresh.props.leaked, false);
    assert.deepEqual((await apiKey.diff!(created.id, fresh.props, inputs)).replaces, []);
    const report = await s.admin.post("/v1/leaks", [
      { token: created.outs.secret, type: "keyplane_api_key", url: "https://example.com/paste/1", source: "content" },
    ]);
    assert.equal(report.data[0].label, "true_positive");
    const read = await apiKey.read!(created.id, created.outs);
    assert.equal(read.props.leaked, true);
    assert.equal(read.props.status, "leaked");
    assert.ok(Date.parse(read.props.leakedAt) > 0);
    assert.equal(read.props.secret, created.outs.secret, "state keeps what it had; the key is refused anyway");
    const d = await apiKey.diff!(created.id, read.props, inputs);
    assert.deepEqual(d.replaces, ["leaked"], "replaced, never renewed in place");
    assert.equal(d.deleteBeforeReplace, false, "the new key comes first");
    // The engine's replacement: create with the same inputs (same Idempotency-Key), then delete the old.
    const next = await apiKey.create!(inputs);
    assert.notEqual(next.id, created.id, "never the leaked key's replay");
    assert.notEqual(next.outs.secret, created.outs.secret);
    assert.equal(next.outs.leaked, false);
    await apiKey.delete!(created.id, read.props);
    const old = await s.admin.get(`/v1/projects/${projectId}/api-keys/${created.id}`);
    assert.equal(old.status, 404, "revoked at once despite rotationGracePeriod: a leaked key gets no grace");
    const gw = (key: string) => s.http.get("/v1/models", { headers: { authorization: `Bearer ${key}` } });
    assert.equal((await gw(next.outs.secret)).status, 200);
    assert.equal((await gw(created.outs.secret)).data.error.code, "leaked_key");
    await apiKey.delete!(next.id, next.outs);
  });

  it("an adopted key reported leaked asks for adoptKeyId to go rather than adopting it again", async () => {
    const made = (await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "console-made" })).data;
    const inputs = { project: projectId, name: "console-made", adoptKeyId: made.id };
    const adopted = await apiKey.create!(inputs);
    await s.admin.post("/v1/leaks", [{ token: made.secret, type: "keyplane_api_key" }]);
    const read = await apiKey.read!(adopted.id, { ...adopted.outs, ...inputs });
    await assert.rejects(() => apiKey.diff!(adopted.id, read.props, inputs), /remove adoptKeyId/);
    await assert.rejects(() => apiKey.create!({ ...inputs, name: "again" }), /no active key/);
    await apiKey.delete!(adopted.id, read.props);
  });

  it("retries a create after a connection reset and makes exactly one key", async () => {
    // A proxy that drops the first request's connection after forwarding it: the
    // server did the work, the client saw ECONNRESET and must not make a second key.
    let first = true;
    const target = new URL(s.url);
    const proxy = createServer((client: Socket) => {
      const upstream = require("node:net").connect(Number(target.port), target.hostname);
      const drop = first;
      first = false;
      client.pipe(upstream);
      upstream.on("data", (chunk: Buffer) => (drop ? client.destroy() : client.write(chunk)));
      upstream.on("end", () => client.end());
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const port = (proxy.address() as any).port;
    const client = new KeyplaneClient(
      { endpoint: `http://127.0.0.1:${port}`, token: s.adminToken, tokenSource: "test" },
      { backoffMs: 10 },
    );
    const before = (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items.length;
    const { data: key } = await client.create<any>(
      `/v1/projects/${projectId}/api-keys`,
      { name: "retried" },
      schemas.ApiKeyCreated,
      "retry-test-1",
    );
    proxy.close();
    const after = (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items;
    assert.equal(after.length, before + 1);
    assert.equal(after.filter((k: any) => k.name === "retried").length, 1);
    assert.equal(after.find((k: any) => k.name === "retried").id, key.id);
  });

  it("says which settings are missing when there is no connection", () => {
    assert.throws(
      () => resolveConnection({}, undefined, {}),
      /KEYPLANE_ENDPOINT.*keyplane:endpoint.*KEYPLANE_TOKEN.*keyplane:token/,
    );
  });

  it("takes the environment first, then stack config, then a connection older state still holds", () => {
    const env = { KEYPLANE_ENDPOINT: "http://env:1/", KEYPLANE_TOKEN: "env-token" };
    const stack = { endpoint: "http://stack:2", token: "stack-token" };
    const legacy = { endpoint: "http://legacy:3", token: "legacy-token" };
    assert.deepEqual(resolveConnection(stack, legacy, env), {
      endpoint: "http://env:1",
      token: "env-token",
      tokenSource: "env KEYPLANE_TOKEN",
    });
    assert.deepEqual(resolveConnection(stack, legacy, {}), {
      endpoint: "http://stack:2",
      token: "stack-token",
      tokenSource: "stack config keyplane:token",
    });
    assert.equal(resolveConnection({}, legacy, {}).token, "legacy-token");
    assert.equal(
      resolveConnection({ endpoint: "http://stack:2" }, undefined, { KEYPLANE_TOKEN: "t" }).endpoint,
      "http://stack:2",
      "each setting on its own",
    );
  });
});
