import { strict as assert } from "node:assert";
import type { Stack } from "@pulumi/pulumi/automation";
import { newStack, writeProgram } from "../../harness/pulumi";
import { gateway } from "../helpers/http";
import { requirePulumi } from "../helpers/pulumi";
import { providerEnv, startTestServer, type TestServer } from "../helpers/server";

const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const keyplane = require("keyplane");
const config = new pulumi.Config();
const project = new keyplane.Project("proj", { name: "grace-e2e" });
new keyplane.Deployment("dep", { project: project.id, model: "m" });
const key = new keyplane.ApiKey("k", {
  project: project.id,
  ttl: "1h",
  deploymentAccess: "all",
  rotationTrigger: config.get("rotation") || "1",
  rotationGracePeriod: "2m",
  enabled: config.getBoolean("enabled") ?? true,
  rateLimit: { limit: config.getNumber("limit") || 100, window: "1m" },
});
module.exports = { keyId: key.keyId, secret: key.secret };
`;

describe("rotation grace and in-place limits with the real Pulumi CLI", function () {
  this.timeout(600_000);
  let server: TestServer;
  let stack: Stack;
  const outputs = async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value]));
  const call = (key: string) => gateway(server.url, key);

  before(async function () {
    const bin = requirePulumi(this);
    server = await startTestServer("sqlite");
    stack = await newStack(bin, writeProgram("keyplane-grace", PROGRAM), providerEnv(server));
  });
  after(async () => server?.close());

  it("changes enabled and rateLimit in place, keeping the secret", async () => {
    assert.equal((await stack.up()).summary.result, "succeeded");
    const first = await outputs();
    assert.equal((await call(first.secret)).status, 200);
    await stack.setConfig("enabled", { value: "false" });
    await stack.setConfig("limit", { value: "5" });
    const pre = await stack.preview();
    assert.equal(pre.changeSummary.update, 1, JSON.stringify(pre.changeSummary));
    assert.ok(!pre.changeSummary.replace);
    await stack.up();
    assert.equal((await call(first.secret)).data.error.code, "disabled_key");
    await stack.setConfig("enabled", { value: "true" });
    await stack.up();
    assert.equal((await outputs()).secret, first.secret);
    const key = await server.admin.get(
      `/v1/projects/${(await server.admin.get("/v1/projects")).data.items[0].id}/api-keys/${first.keyId}`,
    );
    assert.deepEqual([key.data.enabled, key.data.rateLimit], [true, { limit: 5, window: "1m" }]);
  });

  it("a rotated key keeps answering after up for rotationGracePeriod, then is expired_key", async () => {
    const old = await outputs();
    await stack.setConfig("rotation", { value: "2" });
    const up = await stack.up();
    assert.equal(up.summary.resourceChanges?.replace, 1);
    const fresh = await outputs();
    assert.notEqual(fresh.secret, old.secret);
    assert.equal(
      (await call(old.secret)).status,
      200,
      "the replaced key still works: consumers outside the program can switch over",
    );
    assert.equal((await call(fresh.secret)).status, 200);
    server.clock.advance(2 * 60_000);
    const expired = await call(old.secret);
    assert.equal(expired.status, 401);
    assert.equal(expired.data.error.code, "expired_key");
    assert.equal((await call(fresh.secret)).status, 200);
  });

  it("destroy revokes with the grace too, and still removes the project", async () => {
    const { secret } = await outputs();
    const down = await stack.destroy();
    assert.equal(down.summary.result, "succeeded");
    assert.deepEqual((await server.admin.get("/v1/projects")).data.items, []);
    // The project went with its deployments: the key had nothing left to call, and its grace ended.
    assert.equal((await call(secret)).data.error.code, "revoked_key");
  });
});
