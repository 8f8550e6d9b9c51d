import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { newStack, stateFiles, writeProgram } from "../../harness/pulumi";
import { gateway } from "../helpers/http";
import { startOpenAiUpstream } from "../helpers/openai-upstream";
import { requirePulumi } from "../helpers/pulumi";
import { providerEnv, startTestServer, type TestServer } from "../helpers/server";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** A copy of a deployment with every secret envelope (Pulumi's marked secret values) cut out. */
function outsideSecretEnvelopes(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(outsideSecretEnvelopes);
  if (v && typeof v === "object") {
    if (SECRET_SIG in v) return "[secret]";
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, outsideSecretEnvelopes(x)]));
  }
  return v;
}

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const keyplane = require("keyplane");
const config = new pulumi.Config();
const project = new keyplane.Project("proj", { name: config.require("projectName") });
const a = new keyplane.Deployment("dep-a", { project: project.id, model: "llama-3-8b" });
const b = new keyplane.Deployment("dep-b", { project: project.id, model: "llama-3-70b" });
const k1 = new keyplane.ApiKey("k1", { project: project.id, ttl: "30d", rotationTrigger: config.get("rotation") || "1", labels: { team: "search" } });
const k2 = new keyplane.ApiKey("k2", { project: project.id, ttl: "1h", renewable: true, explicitMaxTtl: "30d", renewBefore: config.get("renewBefore") });
const k3 = new keyplane.ApiKey("k3", { project: project.id, ttl: "7d" });
new keyplane.DeploymentBinding("k1-a", { project: project.id, apiKey: k1.keyId, deployment: a.id });
new keyplane.DeploymentBinding("k2-b", { project: project.id, apiKey: k2.keyId, deployment: b.id });
new keyplane.DeploymentBinding("k3-a", { project: project.id, apiKey: k3.keyId, deployment: a.id });
new keyplane.DeploymentBinding("k3-b", { project: project.id, apiKey: k3.keyId, deployment: b.id });
const hf = new keyplane.Secret("hf-token", { project: project.id, useCase: "huggingface", value: { token: config.requireSecret("hfToken") } });
new keyplane.Secret("s3-creds", { project: project.id, useCase: "s3", value: { accessKeyId: "AKIAE2EKEYID", secretAccessKey: "E2ES3SECRETVALUE", region: "us-east-1" } });
new keyplane.Secret("registry", { project: project.id, useCase: "image-pull", value: { registry: "ghcr.io", username: "bot", password: "E2EPULLSECRETVALUE" } });
new keyplane.Secret("misc", { project: project.id, useCase: "generic", value: { data: { API_TOKEN: "E2EGENERICSECRETVALUE" } } });
module.exports = {
  projectId: project.id,
  depA: a.id, depB: b.id,
  k1Id: k1.keyId, k1Secret: k1.secret, k2Id: k2.keyId, k2Secret: k2.secret, k2Expires: k2.expiresAt, k3Id: k3.keyId, k3Secret: k3.secret,
  hfId: hf.id, hfVersion: hf.version,
};
`;

describe("end to end with the real Pulumi CLI", function () {
  this.timeout(600_000);
  let server: TestServer;
  let stack: Stack;
  let outs: Record<string, any>;
  let stateDir: string;
  const seenKeys: string[] = [];

  const refresh = async () => {
    const o = await stack.outputs();
    outs = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.value]));
    for (const k of ["k1Secret", "k2Secret", "k3Secret"]) if (outs[k]) seenKeys.push(outs[k]);
  };
  const call = (key: string, model: string) => gateway(server.url, key, { model });

  before(async function () {
    const bin = requirePulumi(this);
    server = await startTestServer("sqlite");
    const dir = writeProgram("keyplane-e2e", PROGRAM);
    stateDir = join(dir, ".state");
    stack = await newStack(bin, dir, providerEnv(server));
    await stack.setConfig("projectName", { value: "e2e-project" });
    await stack.setConfig("hfToken", { value: "hf_E2EHFSECRETVALUE", secret: true });
  });
  after(async () => {
    await server?.close();
  });

  it("1. up creates everything; keys work exactly where bound", async () => {
    const up = await stack.up({ onOutput: () => undefined });
    assert.equal(up.summary.result, "succeeded");
    await refresh();
    assert.match(outs.k1Secret, /^kp_/);
    assert.equal((await call(outs.k1Secret, "dep-a")).status, 200);
    assert.equal((await call(outs.k1Secret, "dep-b")).status, 403);
    assert.equal((await call(outs.k2Secret, "dep-b")).status, 200);
    assert.equal((await call(outs.k2Secret, "dep-a")).status, 403);
    assert.equal((await call(outs.k3Secret, "dep-a")).status, 200);
    assert.equal((await call(outs.k3Secret, "dep-b")).status, 200);
    const secrets = await server.admin.get(`/v1/projects/${outs.projectId}/secrets`);
    assert.deepEqual(secrets.data.items.map((s: any) => s.useCase).sort(), [
      "generic",
      "huggingface",
      "image-pull",
      "s3",
    ]);
  });

  it("2. an unchanged program previews with no changes", async () => {
    const pre = await stack.preview();
    const changes = Object.entries(pre.changeSummary).filter(([op, n]) => op !== "same" && n > 0);
    assert.deepEqual(changes, []);
  });

  it("3. rotation replaces one key create-before-delete, nothing else", async () => {
    const oldKey = outs.k1Secret;
    await stack.setConfig("rotation", { value: "2" });
    const pre = await stack.preview();
    assert.equal(pre.changeSummary.replace, 2, JSON.stringify(pre.changeSummary)); // the key and its binding
    const events: string[] = [];
    const up = await stack.up({
      onEvent: (e) =>
        e.resOutputsEvent &&
        events.push(`${e.resOutputsEvent.metadata.op}:${e.resOutputsEvent.metadata.urn.split("::").pop()}`),
    });
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.replace, 2);
    const created = events.indexOf("create-replacement:k1");
    const deleted = events.indexOf("delete-replaced:k1");
    assert.ok(created >= 0 && deleted > created, `create before delete: ${events.join(", ")}`);
    await refresh();
    assert.notEqual(outs.k1Secret, oldKey);
    assert.equal((await call(outs.k1Secret, "dep-a")).status, 200);
    const old = await call(oldKey, "dep-a");
    assert.equal(old.status, 401);
    assert.equal(old.data.error.code, "revoked_key");
  });

  it("4. renewal inside renewBefore updates in place and keeps the secret", async () => {
    const before = { secret: outs.k2Secret, expires: Date.parse(outs.k2Expires) };
    server.clock.advance(30 * 60_000);
    await stack.setConfig("renewBefore", { value: "2h" });
    const pre = await stack.preview({ diff: true });
    assert.equal(pre.changeSummary.update, 1, pre.stdout);
    assert.ok(!pre.changeSummary.replace, pre.stdout);
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.update, 1);
    await refresh();
    assert.equal(outs.k2Secret, before.secret);
    assert.ok(
      Date.parse(outs.k2Expires) > before.expires,
      `${outs.k2Expires} moved past ${new Date(before.expires).toISOString()}`,
    );
    assert.equal((await call(outs.k2Secret, "dep-b")).status, 200);
  });

  it("5. a key deleted out of band is noticed by refresh and recreated by up", async () => {
    const oldId = outs.k3Id;
    assert.equal((await server.admin.delete(`/v1/projects/${outs.projectId}/api-keys/${oldId}`)).status, 204);
    const r = await stack.refresh();
    assert.equal(r.summary.result, "succeeded");
    const up = await stack.up();
    assert.ok((up.summary.resourceChanges?.create ?? 0) >= 1, JSON.stringify(up.summary.resourceChanges));
    await refresh();
    assert.notEqual(outs.k3Id, oldId);
    assert.equal((await call(outs.k3Secret, "dep-a")).status, 200);
  });

  it("6. a new secret value is an in-place update to a new version", async () => {
    await stack.setConfig("hfToken", { value: "hf_E2EHFSECRETVALUE_v2", secret: true });
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.update, 1 + 1, JSON.stringify(up.summary.resourceChanges)); // the secret, and k2's renewal
    await refresh();
    assert.equal(outs.hfVersion, 2);
  });

  it("8. state at rest, its backups and `pulumi stack export` hold no key, secret value or token in clear; exportStack() shows them only as secrets", async () => {
    const secrets = [
      ...seenKeys,
      "E2EHFSECRETVALUE",
      "E2ES3SECRETVALUE",
      "E2EPULLSECRETVALUE",
      "E2EGENERICSECRETVALUE",
      server.adminToken,
    ];
    const noneIn = (text: string, where: string) => {
      for (const v of secrets)
        assert.ok(
          !text.includes(v),
          `${v.slice(0, 6)}… is in ${where}: …${text.slice(Math.max(0, text.indexOf(v) - 300), text.indexOf(v))}`,
        );
    };
    const state = stateFiles(stateDir);
    assert.ok(
      state.includes("e2e-project") && state.includes("ciphertext"),
      "the state is there and has encrypted secrets",
    );
    noneIn(state, "the backend's files");

    // `pulumi stack export` as anyone with backend access would run it.
    const { envVars } = stack.workspace as LocalWorkspace;
    const exported = execFileSync("pulumi", ["stack", "export", "--stack", stack.name], {
      cwd: stack.workspace.workDir,
      env: { ...process.env, ...envVars },
      encoding: "utf8",
    });
    assert.ok(JSON.parse(exported).deployment.resources.length > 10);
    noneIn(exported, "`pulumi stack export`");

    // stack.exportStack() decrypts (the Automation API passes --show-secrets): every value
    // must then sit inside a secret envelope, i.e. be marked secret, never stored plain.
    const revealed = await stack.exportStack();
    noneIn(JSON.stringify(outsideSecretEnvelopes(revealed.deployment)), "exportStack() outside a secret envelope");
    const current = [outs.k1Secret, outs.k2Secret, outs.k3Secret];
    assert.ok(
      current.every((k) => JSON.stringify(revealed.deployment).includes(k)),
      "exportStack() does reveal the current keys, as secrets",
    );
  });

  it("7. destroy revokes every key and removes every secret and the project", async () => {
    const keys = [outs.k1Secret, outs.k2Secret, outs.k3Secret];
    const d = await stack.destroy();
    assert.equal(d.summary.result, "succeeded");
    for (const k of keys) assert.equal((await call(k, "dep-a")).status, 401);
    assert.equal((await server.admin.get(`/v1/projects/${outs.projectId}`)).status, 404);
    assert.equal((await server.admin.get(`/v1/projects/${outs.projectId}/secrets/${outs.hfId}`)).status, 404);
  });

  it("9. bad input fails preview naming the field, and creates nothing", async function () {
    const dir = writeProgram(
      "keyplane-bad",
      `
const keyplane = require("keyplane");
const p = new keyplane.Project("bad-proj", { name: "bad-input-project" });
new keyplane.Secret("s", { project: p.id, name: "Bad_Name", useCase: "generic", value: { data: { a: "b" } } });
`,
    );
    const bin = requirePulumi(this);
    const bad = await newStack(bin, dir, providerEnv(server));
    let output = "";
    await assert.rejects(bad.preview({ onOutput: (o) => (output += o) }));
    assert.match(output, /name/);
    assert.match(output, /must be 2-253 characters/);
    const projects = await server.admin.get("/v1/projects");
    assert.ok(!projects.data.items.some((p: any) => p.name === "bad-input-project"));
  });

  it("10. a Secret's allowedUpstreams: named at preview when malformed, and a Deployment cannot move its token elsewhere", async function () {
    const bin = requirePulumi(this);
    const upstream = await startOpenAiUpstream();
    const elsewhere = await startOpenAiUpstream();
    try {
      const program = (allowed: string, url: string) => `
const keyplane = require("keyplane");
const p = new keyplane.Project("pin-proj", { name: "pinned-upstreams" });
const s = new keyplane.Secret("hf", { project: p.id, useCase: "huggingface", value: { token: "hf_E2EPINNEDTOKEN" }, allowedUpstreams: [${JSON.stringify(allowed)}] });
new keyplane.Deployment("vllm", { project: p.id, model: "m", upstreamUrl: ${JSON.stringify(url)}, upstreamSecret: s.id });
const k = new keyplane.ApiKey("k", { project: p.id, deploymentAccess: "all" });
module.exports = { key: k.secret };
`;
      const origin = new URL(upstream.url).origin;
      const dir = writeProgram("keyplane-pinned", program(`${upstream.url}`, upstream.url));
      const st = await newStack(bin, dir, providerEnv(server));
      let output = "";
      await assert.rejects(st.preview({ onOutput: (o) => (output += o) }));
      assert.match(output, /allowedUpstreams\.0/);
      assert.match(output, /must be an origin/);

      writeFileSync(join(dir, "index.js"), program(origin, upstream.url));
      const up = await st.up();
      const key = up.outputs.key.value as string;
      assert.equal((await call(key, "vllm")).status, 200);
      assert.equal(upstream.calls.at(-1)!.headers.authorization, "Bearer hf_E2EPINNEDTOKEN");

      writeFileSync(join(dir, "index.js"), program(origin, elsewhere.url));
      output = "";
      await assert.rejects(st.up({ onOutput: (o) => (output += o) }));
      assert.match(output, /upstreamUrl/);
      assert.match(output, /allowedUpstreams/);
      await call(key, "vllm");
      assert.equal(elsewhere.calls.length, 0, "the other origin never heard from the gateway");
      await st.destroy();
    } finally {
      await upstream.close();
      await elsewhere.close();
    }
  });
});
