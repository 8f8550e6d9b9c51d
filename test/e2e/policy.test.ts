import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { startTestServer, type TestServer } from "../helpers/server";
import { newStack, REPO_ROOT, requirePulumi, writeProgram } from "../helpers/pulumi";

const PACK = join(REPO_ROOT, "policy-pack");

const program = (keys: string) => `
const keyplane = require("keyplane");
const p = new keyplane.Project("proj", { name: "policy-e2e" });
const d = new keyplane.Deployment("dep", { project: p.id, model: "m" });
${keys}
module.exports = Object.assign({ projectId: p.id }, typeof extra === "undefined" ? {} : extra);
`;

const COMPLIANT = program(`
const k = new keyplane.ApiKey("app", { project: p.id, ttl: "30d", rateLimit: { limit: 600, window: "1m" } });
new keyplane.DeploymentBinding("app-dep", { project: p.id, apiKey: k.keyId, deployment: d.id });
new keyplane.Secret("hf", { project: p.id, useCase: "huggingface", value: { token: "hf_x" } });
`);

const NON_COMPLIANT = program(`
new keyplane.ApiKey("forever", { project: p.id });
const wide = new keyplane.ApiKey("wide", { project: p.id, ttl: "30d", scope: "project", deploymentAccess: "all" });
new keyplane.ApiKey("ci", { project: p.id, ttl: "30d", renewable: true, labels: { purpose: "ci" } });
`);

describe("policy pack with the real Pulumi CLI", function () {
  this.timeout(600_000);
  let server: TestServer;
  let bin: string;
  const stackFor = async (name: string, source: string): Promise<Stack> =>
    newStack(bin, writeProgram(name, source), { KEYPLANE_ENDPOINT: server.url, KEYPLANE_TOKEN: server.adminToken });

  before(async function () {
    bin = requirePulumi(this);
    server = await startTestServer("sqlite");
  });
  after(async () => server?.close());

  it("previews a compliant program clean", async () => {
    const stack = await stackFor("policy-ok", COMPLIANT);
    const pre = await stack.preview({ policyPacks: [PACK] });
    assert.ok(!/violation|mandatory/i.test(pre.stdout), pre.stdout);
    assert.ok(pre.stdout.includes("keyplane"), "the pack ran");
  });

  it("fails a mandatory preview listing every violation, and a config file changes the outcome", async () => {
    const stack = await stackFor("policy-bad", NON_COMPLIANT);
    let out = "";
    await assert.rejects(stack.preview({ policyPacks: [PACK], onOutput: (o) => (out += o) }));
    for (const policy of [
      "keyplane-key-max-ttl",
      "keyplane-key-least-privilege-scope",
      "keyplane-key-no-all-deployments",
      "keyplane-renewable-key-max-lifetime",
      "keyplane-usage-limit-for-labelled-keys",
      "keyplane-key-must-be-bound",
    ]) {
      assert.ok(out.includes(policy), `${policy} reported:\n${out}`);
    }
    assert.match(out, /ApiKey forever never expires/);

    // Loosen every limit that fired, and make the rest advisory: the preview now passes.
    const config = join(REPO_ROOT, "dist", "policy-config.e2e.json");
    writeFileSync(
      config,
      JSON.stringify({
        "keyplane-key-max-ttl": { enforcementLevel: "advisory" },
        "keyplane-key-least-privilege-scope": { allowedProjectScopeKeys: ["wide"] },
        "keyplane-key-no-all-deployments": "disabled",
        "keyplane-renewable-key-max-lifetime": "advisory",
        "keyplane-usage-limit-for-labelled-keys": { labelKey: "purpose", labelValue: "batch" },
        "keyplane-key-must-be-bound": "advisory",
      }),
    );
    let out2 = "";
    await stack.preview({ policyPacks: [PACK], policyPackConfigs: [config], onOutput: (o) => (out2 += o) });
    assert.ok(out2.includes("keyplane-key-max-ttl"), "still reported, as advisory");
    assert.ok(!out2.includes("keyplane-key-no-all-deployments"), "disabled");
    assert.ok(!out2.includes("keyplane-key-least-privilege-scope"), "wide is allowed by config");
  });

  it("remediation clamps a ttl and the created key has the clamped expiry", async () => {
    const stack = await stackFor(
      "policy-fix",
      program(`
const k = new keyplane.ApiKey("long", { project: p.id, ttl: "400d" });
new keyplane.DeploymentBinding("long-dep", { project: p.id, apiKey: k.keyId, deployment: d.id });
var extra = { keyId: k.keyId };
`),
    );
    const config = join(REPO_ROOT, "dist", "policy-remediate.e2e.json");
    writeFileSync(config, JSON.stringify({ "keyplane-key-max-ttl": { enforcementLevel: "remediate", maxTtl: "30d" } }));
    const up = await stack.up({ policyPacks: [PACK], policyPackConfigs: [config] });
    const projectId = up.outputs.projectId.value;
    const key = await server.admin.get(`/v1/projects/${projectId}/api-keys/${up.outputs.keyId.value}`);
    assert.equal(key.data.ttl, "30d");
    assert.equal(Date.parse(key.data.expiresAt) - Date.parse(key.data.createdAt), 30 * 86400_000);
    await stack.destroy();
  });
});
