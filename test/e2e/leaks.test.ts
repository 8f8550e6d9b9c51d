import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { newStack, writeProgram } from "../../harness/pulumi";
import { gateway } from "../helpers/http";
import { leakReport, scannerKeys, signed } from "../helpers/leaks";
import { requirePulumi } from "../helpers/pulumi";
import { providerEnv, startTestServer, type TestServer } from "../helpers/server";

// The leak loop with the real Pulumi CLI: a stack's key is reported leaked (a signed scanner
// report) → `preview --refresh` shows its replacement → `up` makes a new key that works at
// the gateway, bound like the old one, while the leaked key stays refused.
// (Kubernetes redelivery — apiKeySecret and the pod digest — is another branch's and not here.)

const PROGRAM = `
const keyplane = require("keyplane");
const project = new keyplane.Project("proj", { name: "leak-e2e" });
const dep = new keyplane.Deployment("dep", { project: project.id, name: "chat", model: "m" });
const key = new keyplane.ApiKey("app", { project: project.id, ttl: "24h", rotationGracePeriod: "1h" });
new keyplane.DeploymentBinding("app-chat", { project: project.id, apiKey: key.keyId, deployment: dep.id });
module.exports = { keyId: key.keyId, secret: key.secret, leaked: key.leaked };
`;

describe("a leaked key replaced by the real Pulumi CLI", function () {
  this.timeout(600_000);
  let server: TestServer;
  let stack: Stack;
  const scanner = scannerKeys();
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
  const call = (key: string) => gateway(server.url, key, { model: "chat" });
  const reportLeaked = async (token: string, url: string) => {
    const raw = leakReport([token], url);
    const r = await server.http.post("/v1/leaks", raw, { headers: signed(scanner.privateKey, raw) });
    assert.deepEqual(r.data, [{ token_raw: token, token_type: "keyplane_api_key", label: "true_positive" }]);
  };

  before(async function () {
    const bin = requirePulumi(this);
    server = await startTestServer("sqlite", { server: { leakKeysFile: scanner.file } });
    stack = await newStack(bin, writeProgram("keyplane-leaks", PROGRAM), providerEnv(server));
  });
  after(async () => server?.close());

  it("preview --refresh shows the replacement, up --refresh makes a new working key, the leaked one stays refused", async () => {
    assert.equal((await stack.up()).summary.result, "succeeded");
    const first = await outputs();
    assert.equal(first.leaked, false);
    assert.equal((await call(first.secret)).status, 200);

    await reportLeaked(first.secret, "https://github.com/acme/app/blob/main/.env");
    assert.equal((await call(first.secret)).data.error.code, "leaked_key");

    const plain = await stack.preview();
    assert.ok(!plain.changeSummary.replace, "without a refresh, state does not know yet");
    const preview = await stack.preview({ refresh: true, diff: true });
    // The key, and its binding with it (it names the key's id).
    assert.equal(preview.changeSummary.replace, 2, JSON.stringify(preview.changeSummary));
    assert.match(preview.stdout, /leaked/);

    const up = await stack.up({ refresh: true });
    assert.equal(up.summary.result, "succeeded");
    assert.equal(up.summary.resourceChanges?.replace, 2, JSON.stringify(up.summary.resourceChanges));
    const second = await outputs();
    assert.notEqual(second.keyId, first.keyId);
    assert.notEqual(second.secret, first.secret);
    assert.equal(second.leaked, false);
    assert.equal(
      (await call(second.secret)).status,
      200,
      "the new key works, bound to the deployment like the old one",
    );
    const refused = await call(first.secret);
    assert.equal(refused.status, 401);
    assert.equal(refused.data.error.code, "leaked_key");
    // Despite rotationGracePeriod, the leaked key was revoked at once, not kept listed as live.
    const projectId = (await server.admin.get("/v1/projects")).data.items[0].id;
    assert.equal((await server.admin.get(`/v1/projects/${projectId}/api-keys/${first.keyId}`)).status, 404);
    assert.equal((await stack.preview({ refresh: true })).changeSummary.replace ?? 0, 0, "nothing left to replace");
  });

  it("a refresh on its own records the leak, and the next plain up replaces the key", async () => {
    const before = await outputs();
    await reportLeaked(before.secret, "https://gist.example/1");
    await stack.refresh();
    // Stack outputs change at the next up; the key's state already knows.
    const state = await stack.exportStack();
    const key = state.deployment.resources.find((r: any) => r.urn.endsWith("keyplane:ApiKey::app"));
    assert.equal(key.outputs.leaked, true, "refresh saw it");
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.replace, 2);
    const after = await outputs();
    assert.equal((await call(after.secret)).status, 200);
    assert.equal((await call(before.secret)).data.error.code, "leaked_key");
    assert.equal((await stack.destroy()).summary.result, "succeeded");
  });
});
