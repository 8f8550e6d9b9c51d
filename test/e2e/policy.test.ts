import { strict as assert } from "node:assert";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { EngineEvent, PolicyEvent, Stack } from "@pulumi/pulumi/automation";
import { newStack, REPO_ROOT, writeProgram } from "../../harness/pulumi";
import { requirePulumi } from "../helpers/pulumi";
import { providerEnv, startTestServer, type TestServer } from "../helpers/server";
import { allowedProjectScopeResources, type Evasion, evasions } from "../policy/evasions";

const PACK = join(REPO_ROOT, "policy-pack");

/** `new keyplane.ApiKey(...)` for a row of the table; `atUp` fields come from `dep`'s id, so only `up` knows them. */
function keySource(e: Evasion, now: number): string {
  const props: Record<string, unknown> = { ...e.props(now) };
  const late = (e.atUp ?? []).map((f) => `${JSON.stringify(f)}: atUp(${JSON.stringify(props[f])})`);
  for (const f of e.atUp ?? []) delete props[f];
  const args = [
    `project: p.id`,
    ...Object.entries(props).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`),
    ...late,
  ].join(", ");
  // Inference keys get a binding so that keyplane-key-must-be-bound has nothing to say about them.
  const bind =
    props.scope === "project" || props.deploymentAccess === "all" ? "" : `\nbind(${JSON.stringify(e.resource)}, k, d);`;
  return `k = new keyplane.ApiKey(${JSON.stringify(e.resource)}, { ${args} });${bind}`;
}

const program = (project: string, body: string) => `
const pulumi = require("@pulumi/pulumi");
const keyplane = require("keyplane");
const p = new keyplane.Project("proj", { name: ${JSON.stringify(project)} });
const d = new keyplane.Deployment("dep", { project: p.id, model: "m" });
const atUp = (value) => d.id.apply(() => value);
const bind = (name, key, dep) => new keyplane.DeploymentBinding(name + "-dep", { project: p.id, apiKey: key.keyId, deployment: dep.id });
const out = { projectId: p.id };
let k;
${body}
module.exports = out;
`;

// Events these tests judge: any mandatory one, and every one from the policies under test. An
// advisory policy added elsewhere in the pack (with its own tests) does not change the verdicts.
const JUDGED = new Set([
  "keyplane-key-max-ttl",
  "keyplane-key-least-privilege-scope",
  "keyplane-key-no-all-deployments",
  "keyplane-key-must-be-bound",
  "keyplane-binding-same-project",
  "keyplane-usage-limit-for-labelled-keys",
]);
const judged = (v: PolicyEvent) => v.enforcementLevel === "mandatory" || JUDGED.has(v.policyName);

const endsWithName = (urn: string | undefined, name: string) => urn?.endsWith(`::${name}`) === true;

describe("policy pack with the real Pulumi CLI", function () {
  this.timeout(600_000);
  let server: TestServer;
  let bin: string;
  const mandatoryConfig = join(REPO_ROOT, "dist", "policy-mandatory.e2e.json");
  const stackFor = async (name: string, source: string): Promise<Stack> =>
    newStack(bin, writeProgram(name, source), providerEnv(server));
  /** Runs an operation, returning the policy events it judges and whether it failed. */
  async function run(
    op: (opts: {
      policyPacks: string[];
      policyPackConfigs: string[];
      onEvent: (e: EngineEvent) => void;
      onOutput: (o: string) => void;
    }) => Promise<unknown>,
    config = mandatoryConfig,
  ) {
    const events: PolicyEvent[] = [];
    let output = "";
    let failed = false;
    try {
      await op({
        policyPacks: [PACK],
        policyPackConfigs: [config],
        onEvent: (e) => e.policyEvent && judged(e.policyEvent) && events.push(e.policyEvent),
        onOutput: (o) => (output += o),
      });
    } catch {
      failed = true;
    }
    return { events, failed, output };
  }
  const keysOf = async (projectName: string): Promise<{ name: string }[]> => {
    const projects = (await server.admin.get("/v1/projects")).data.items as { id: string; name: string }[];
    const project = projects.find((x) => x.name === projectName);
    return project ? (await server.admin.get(`/v1/projects/${project.id}/api-keys`)).data.items : [];
  };

  before(async function () {
    bin = requirePulumi(this);
    server = await startTestServer("sqlite");
    // Only what differs from the defaults: the pack is mandatory as shipped.
    writeFileSync(
      mandatoryConfig,
      JSON.stringify({ "keyplane-key-least-privilege-scope": { allowedProjectScopeResources } }),
    );
  });
  after(async () => server?.close());

  it("preview refuses every evasion whose values are known, and nothing else in the program", async () => {
    const known = evasions.filter((e) => !e.atUp);
    const now = Date.now();
    const cross = `
const p2 = new keyplane.Project("proj2", { name: "policy-e2e-other" });
const d2 = new keyplane.Deployment("dep2", { project: p2.id, model: "m" });
k = new keyplane.ApiKey("cross-key", { project: p.id, ttl: "30d" });
new keyplane.DeploymentBinding("cross-binding", { project: p.id, apiKey: k.keyId, deployment: d2.id });`;
    const stack = await stackFor(
      "policy-known",
      program("policy-e2e-known", known.map((e) => keySource(e, now)).join("\n") + cross),
    );
    const { events, failed, output } = await run((o) => stack.preview(o));
    assert.ok(failed, `a mandatory violation fails the preview:\n${output}`);
    for (const e of known.filter((x) => x.refusedBy)) {
      const mine = events.filter((v) => endsWithName(v.resourceUrn, e.resource));
      assert.deepEqual(
        mine.map((v) => [v.policyName, v.enforcementLevel]),
        [[e.refusedBy, "mandatory"]],
        `${e.resource} (${e.what}) refused by ${e.refusedBy} alone:\n${output}`,
      );
      if (e.lifetime?.message) assert.match(mine[0].message, e.lifetime.message);
    }
    const crossEvents = events.filter((v) => endsWithName(v.resourceUrn, "cross-binding"));
    assert.deepEqual(
      crossEvents.map((v) => [v.policyName, v.enforcementLevel]),
      [["keyplane-binding-same-project", "mandatory"]],
      output,
    );
    const refused = new Set([...known.filter((e) => e.refusedBy).map((e) => e.resource), "cross-binding"]);
    const others = events.filter((v) => ![...refused].some((name) => endsWithName(v.resourceUrn, name)));
    assert.deepEqual(others, [], "compliant neighbours (and the rest of the program) draw no policy event");
  });

  it("values known only at `up`: preview lets them through, `up` refuses each and creates no such key; neighbours untouched", async () => {
    const late = evasions.filter((e) => e.atUp);
    const now = Date.now();
    const body = late
      .map((e) =>
        e.refusedBy
          ? `if (only === "all" || only === ${JSON.stringify(e.resource)}) {\n${keySource(e, now)}\n}`
          : keySource(e, now),
      )
      .join("\n");
    const compliant = evasions.find((e) => e.resource === "ok-30d")!;
    const stack = await stackFor(
      "policy-up",
      program("policy-e2e-up", `const only = new pulumi.Config().get("case");\n${body}\n${keySource(compliant, now)}`),
    );

    await stack.setConfig("case", { value: "all" });
    const pre = await run((o) => stack.preview(o));
    assert.ok(!pre.failed, `nothing known at preview breaks a mandatory policy:\n${pre.output}`);
    assert.deepEqual(
      pre.events.filter((v) => v.enforcementLevel === "mandatory"),
      [],
    );
    for (const e of late.filter((x) => x.refusedBy)) {
      assert.ok(
        pre.events.some(
          (v) =>
            endsWithName(v.resourceUrn, e.resource) &&
            v.policyName === "keyplane-key-max-ttl" &&
            /can't run policy .* during preview/.test(v.message),
        ),
        `preview says ${e.resource} is judged later:\n${pre.output}`,
      );
    }

    for (const e of late.filter((x) => x.refusedBy)) {
      await stack.setConfig("case", { value: e.resource });
      const up = await run((o) => stack.up(o));
      assert.ok(up.failed, `up stops at ${e.resource}:\n${up.output}`);
      const mandatory = up.events.filter((v) => v.enforcementLevel === "mandatory");
      assert.deepEqual(
        mandatory.map((v) => [v.policyName, v.resourceUrn?.split("::").pop()]),
        [[e.refusedBy, e.resource]],
        up.output,
      );
      assert.match(mandatory[0].message, e.lifetime!.message!);
      assert.deepEqual(
        up.events.filter((v) => !endsWithName(v.resourceUrn, e.resource)),
        [],
        "no policy event for the neighbours",
      );
      const names = (await keysOf("policy-e2e-up")).map((x) => x.name);
      assert.ok(!names.includes(e.resource), `${e.resource} was not created (server has ${names.join(", ")})`);
    }

    // The neighbours alone go up clean.
    await stack.setConfig("case", { value: "none" });
    const up = await run((o) => stack.up(o));
    assert.ok(!up.failed, up.output);
    assert.deepEqual(up.events, []);
    assert.deepEqual((await keysOf("policy-e2e-up")).map((x) => x.name).sort(), ["ok-30d", "ok-ttl-at-up"]);
    await stack.destroy();
  });

  it("a config file changes the outcome: limits loosened, levels lowered, policies disabled", async () => {
    const now = Date.now();
    const rows = ["renewal-past-limit", "sneaky-admin", "all-deployments"].map(
      (name) => evasions.find((e) => e.resource === name)!,
    );
    const stack = await stackFor(
      "policy-config",
      program("policy-e2e-config", rows.map((e) => keySource(e, now)).join("\n")),
    );
    const config = join(REPO_ROOT, "dist", "policy-config.e2e.json");
    writeFileSync(
      config,
      JSON.stringify({
        "keyplane-key-max-ttl": { maxTtl: "365d" },
        "keyplane-key-least-privilege-scope": { enforcementLevel: "advisory", allowedProjectScopeResources },
        "keyplane-key-no-all-deployments": "disabled",
      }),
    );
    const { events, failed, output } = await run((o) => stack.preview(o), config);
    assert.ok(!failed, output);
    assert.deepEqual(
      events.map((v) => [v.policyName, v.enforcementLevel, v.resourceUrn?.split("::").pop()]),
      [["keyplane-key-least-privilege-scope", "advisory", "sneaky-admin"]],
    );
  });

  it("remediation clamps every field that makes a key too long; the server's maxExpiresAt proves it", async () => {
    const stack = await stackFor(
      "policy-fix",
      program(
        "policy-e2e-fix",
        `
const keys = {
  renewable: new keyplane.ApiKey("long-renewable", { project: p.id, ttl: "400d", renewable: true, explicitMaxTtl: "365d" }),
  uncapped: new keyplane.ApiKey("renewable-uncapped", { project: p.id, ttl: "10d", renewable: true }),
  far: new keyplane.ApiKey("far", { project: p.id, expiresAt: ${JSON.stringify(new Date(Date.now() + 400 * 86400_000).toISOString())} }),
  late: new keyplane.ApiKey("late", { project: p.id, ttl: atUp("400d") }),
};
for (const [name, key] of Object.entries(keys)) { bind(name, key, d); out[name] = key.keyId; }
`,
      ),
    );
    const config = join(REPO_ROOT, "dist", "policy-remediate.e2e.json");
    writeFileSync(config, JSON.stringify({ "keyplane-key-max-ttl": { enforcementLevel: "remediate", maxTtl: "30d" } }));
    const up = await stack.up({ policyPacks: [PACK], policyPackConfigs: [config] });
    const projectId = up.outputs.projectId.value;
    const get = async (name: string) =>
      (await server.admin.get(`/v1/projects/${projectId}/api-keys/${up.outputs[name].value}`)).data;
    const days = (from: string, to: string | null) =>
      to === null ? null : (Date.parse(to) - Date.parse(from)) / 86400_000;
    const lifetime = async (name: string) => {
      const k = await get(name);
      return {
        ttl: k.ttl,
        explicitMaxTtl: k.explicitMaxTtl,
        expires: days(k.createdAt, k.expiresAt),
        maxExpires: days(k.createdAt, k.maxExpiresAt),
      };
    };
    assert.deepEqual(await lifetime("renewable"), { ttl: "30d", explicitMaxTtl: "30d", expires: 30, maxExpires: 30 });
    assert.deepEqual(
      await lifetime("uncapped"),
      { ttl: "10d", explicitMaxTtl: "30d", expires: 10, maxExpires: 30 },
      "a ttl within the limit is kept",
    );
    assert.deepEqual(await lifetime("far"), { ttl: "30d", explicitMaxTtl: null, expires: 30, maxExpires: null });
    assert.deepEqual(
      await lifetime("late"),
      { ttl: "30d", explicitMaxTtl: null, expires: 30, maxExpires: null },
      "clamped at up, when known",
    );
    await stack.destroy();
  });
});
