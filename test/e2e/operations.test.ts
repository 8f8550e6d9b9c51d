import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { newStack, stateFiles, writeProgram } from "../../harness/pulumi";
import { gateway, seedProject } from "../helpers/http";
import { requirePulumi } from "../helpers/pulumi";
import { providerEnv, startTestServer, type TestServer } from "../helpers/server";

const SMALL = `
const keyplane = require("keyplane");
const p = new keyplane.Project("proj", { name: require("@pulumi/pulumi").getStack() });
const d = new keyplane.Deployment("dep", { project: p.id, model: "m" });
const k = new keyplane.ApiKey("key", { project: p.id, ttl: "30d" });
new keyplane.DeploymentBinding("key-dep", { project: p.id, apiKey: k.keyId, deployment: d.id });
new keyplane.Secret("hf", { project: p.id, useCase: "huggingface", value: { token: "hf_OPSE2EVALUE" } });
module.exports = { projectId: p.id, keyId: k.keyId, keySecret: k.secret };
`;

/**
 * A CLI killed while the file backend wrote its checkpoint can leave it unreadable ("failed to
 * load checkpoint: EOF"): the blob library writes each file's `.attrs` sidecar by truncating it
 * first, and the stack file itself could be cut short. The operator's repair: drop an empty
 * sidecar (a missing one is allowed), or restore `<stack>.json.bak`. State may then know less
 * than the server, which the rerun's replayed creates make good.
 */
function repairKilledCheckpoint(programDir: string, project: string, stack: string): string[] {
  const file = join(programDir, ".state", ".pulumi", "stacks", project, `${stack}.json`);
  const readable = (f: string) => {
    try {
      JSON.parse(readFileSync(f, "utf8"));
      return true;
    } catch {
      return false;
    }
  };
  const done: string[] = [];
  if (!readable(file) && existsSync(`${file}.bak`)) {
    copyFileSync(`${file}.bak`, file);
    if (existsSync(`${file}.bak.attrs`)) copyFileSync(`${file}.bak.attrs`, `${file}.attrs`);
    done.push("restored the stack file from its .bak");
  }
  if (existsSync(`${file}.attrs`) && !readable(`${file}.attrs`)) {
    rmSync(`${file}.attrs`);
    done.push("removed a truncated .attrs sidecar");
  }
  return done;
}

/**
 * The live processes whose working directory is `dir`: Pulumi starts the CLI's language host and
 * providers (and they the program) in the program's directory, so these are one run's processes.
 */
function processesIn(dir: string) {
  const want = realpathSync(dir);
  const found: { pid: number; cmd: string }[] = [];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) !== want) continue;
      if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))) continue; // dead, not yet reaped
      found.push({ pid: Number(pid), cmd: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim() });
    } catch {
      // exited while we looked
    }
  }
  return found;
}

const KINDS: Record<string, string> = {
  Project: "project",
  Deployment: "deployment",
  ApiKey: "api-key",
  DeploymentBinding: "binding",
  Secret: "secret",
};

/**
 * The provider the previous release serialized into every resource (2.1 KB): a wrapper per
 * method around a require of the implementation by name, rebuilt here the way it was written.
 */
async function previousReleaseProvider(kind: string): Promise<string> {
  const call = (method: string, args: unknown[]) =>
    require(`keyplane/provider/resources/${kind}`).provider[method](...args);
  const shim = {
    configure: (...a: unknown[]) => call("configure", a),
    check: (...a: unknown[]) => call("check", a),
    diff: (...a: unknown[]) => call("diff", a),
    create: (...a: unknown[]) => call("create", a),
    read: (...a: unknown[]) => call("read", a),
    update: (...a: unknown[]) => call("update", a),
    delete: (...a: unknown[]) => call("delete", a),
  };
  return (await pulumi.runtime.serializeFunction(() => shim, { allowSecrets: true })).text;
}

const outputsOf = async (stack: Stack) =>
  Object.fromEntries(Object.entries(await stack.outputs()).map(([k, v]) => [k, v.value])) as Record<string, any>;
const changesOf = (summary: Record<string, number> | undefined) =>
  Object.fromEntries(Object.entries(summary ?? {}).filter(([op, n]) => op !== "same" && n > 0));

describe("the provider under real operations, with the real Pulumi CLI", function () {
  this.timeout(900_000);
  let bin: string;
  const servers: TestServer[] = [];
  const track = (s: TestServer) => {
    servers.push(s);
    return s;
  };
  before(function () {
    bin = requirePulumi(this);
  });
  after(async () => {
    for (const s of servers) await s.close();
  });

  /** SMALL brought up with its connection in stack config (the token a secret). */
  const upWithStackConfig = async (name: string, server: TestServer) => {
    const dir = writeProgram(name, SMALL);
    const stack = await newStack(bin, dir, {});
    await stack.setConfig("keyplane:endpoint", { value: server.url });
    await stack.setConfig("keyplane:token", { value: server.adminToken, secret: true });
    assert.equal((await stack.up()).summary.result, "succeeded");
    return { dir, stack, outs: await outputsOf(stack) };
  };

  /** The same data dir and port, a new admin token: what an operator's token rotation looks like. */
  const restartWithToken = async (server: TestServer, adminToken: string) => {
    await server.close();
    return track(
      await startTestServer("sqlite", {
        adminToken,
        server: { dataDir: server.dataDir, port: Number(new URL(server.url).port) },
      }),
    );
  };

  it("rotating keyplane:token in stack config: up, then refresh, preview and destroy all succeed; no token in state", async () => {
    let server = track(await startTestServer("sqlite", { adminToken: "kpadmin_first-token-STACKCFG" }));
    const { dir, stack, outs } = await upWithStackConfig("ops-stackcfg", server);
    assert.equal((await gateway(server.url, outs.keySecret)).status, 200);

    server = await restartWithToken(server, "kpadmin_second-token-STACKCFG");
    await stack.setConfig("keyplane:token", { value: server.adminToken, secret: true });
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.deepEqual(changesOf(up.summary.resourceChanges), {}, "a new token changes no resource");
    assert.equal((await stack.refresh()).summary.result, "succeeded");
    const pre = await stack.preview();
    assert.deepEqual(changesOf(pre.changeSummary), {});

    const state = stateFiles(join(dir, ".state"));
    for (const t of ["kpadmin_first-token-STACKCFG", "kpadmin_second-token-STACKCFG", "hf_OPSE2EVALUE"])
      assert.ok(!state.includes(t), `${t} is in state`);
    assert.ok(!state.includes("__connection"), "no connection object in any resource");

    assert.equal((await stack.destroy()).summary.result, "succeeded");
    assert.equal((await gateway(server.url, outs.keySecret)).data.error.code, "revoked_key");
    assert.equal((await server.admin.get(`/v1/projects/${outs.projectId}`)).status, 404);
  });

  it("rotating KEYPLANE_TOKEN: even a plain refresh and destroy pick up the new one", async () => {
    let server = track(await startTestServer("sqlite", { adminToken: "kpadmin_first-token-ENV" }));
    const dir = writeProgram("ops-env", SMALL);
    const env = providerEnv(server);
    let stack = await newStack(bin, dir, env);
    assert.equal((await stack.up()).summary.result, "succeeded");
    const outs = await outputsOf(stack);

    server = await restartWithToken(server, "kpadmin_second-token-ENV");
    stack = await newStack(bin, dir, { ...env, KEYPLANE_TOKEN: server.adminToken });
    assert.equal((await stack.refresh()).summary.result, "succeeded");
    assert.equal((await stack.destroy()).summary.result, "succeeded");
    assert.equal((await gateway(server.url, outs.keySecret)).data.error.code, "revoked_key");
    const state = stateFiles(join(dir, ".state"));
    assert.ok(!state.includes("kpadmin_first-token-ENV") && !state.includes("kpadmin_second-token-ENV"));
  });

  it("a stack written by earlier releases (a connection, a larger serialized provider in every resource) upgrades on up with no replacement, then survives a rotation", async () => {
    let server = track(await startTestServer("sqlite", { adminToken: "kpadmin_legacy-token-OLD" }));
    const { dir, stack, outs } = await upWithStackConfig("ops-legacy", server);

    // What earlier releases stored: the stack config's connection as a secret input and
    // output of every keyplane resource (encrypted by the stack's secrets provider on import),
    // no managedBy, and the previous release's serialized provider.
    const exported = await stack.exportStack();
    const connection = {
      "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
      plaintext: JSON.stringify({ endpoint: server.url, token: server.adminToken }),
    };
    let legacy = 0;
    for (const r of exported.deployment.resources) {
      if (!String(r.type).startsWith("pulumi-nodejs:dynamic/keyplane:")) continue;
      r.inputs.__connection = connection;
      r.outputs.__connection = connection;
      delete r.inputs.managedBy;
      delete r.outputs.managedBy;
      const previous = await previousReleaseProvider(KINDS[String(r.type).split(":").pop()!]);
      assert.ok(previous.length > 1500, `the previous release's provider (${previous.length} bytes)`);
      r.inputs.__provider = previous;
      r.outputs.__provider = previous;
      legacy++;
    }
    assert.equal(legacy, 5);
    await stack.importStack(exported);
    assert.ok(stateFiles(join(dir, ".state")).includes("__connection"), "the old shape is in state");
    // The previous release's provider still serves: a refresh reads every resource with it.
    assert.equal((await stack.refresh()).summary.result, "succeeded");

    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");
    assert.ok(
      !up.summary.resourceChanges?.replace &&
        !up.summary.resourceChanges?.create &&
        !up.summary.resourceChanges?.delete,
      JSON.stringify(up.summary.resourceChanges),
    );
    assert.equal(up.summary.resourceChanges?.update, 5, "every resource is rewritten in place");
    const after = await outputsOf(stack);
    assert.equal(after.keyId, outs.keyId);
    assert.equal(after.keySecret, outs.keySecret);
    const current = (await stack.exportStack()).deployment.resources.filter((r: any) =>
      String(r.type).startsWith("pulumi-nodejs:dynamic/keyplane:"),
    );
    assert.ok(!JSON.stringify(current).includes("__connection"), "no resource holds a connection after the upgrade");
    for (const r of current) {
      for (const provider of [r.inputs.__provider, r.outputs.__provider]) {
        assert.ok(provider.length < 1024, `${r.type}: the serialized provider is ${provider.length} bytes`);
        assert.match(
          provider,
          /require\("keyplane\/provider\/shims\/[a-z-]+"\)/,
          "the serialized provider is a require of the kind's shim",
        );
      }
    }
    const state = stateFiles(join(dir, ".state"));
    for (const t of ["kpadmin_legacy-token-OLD", "hf_OPSE2EVALUE", outs.keySecret])
      assert.ok(!state.includes(t), "no credential or secret in state in clear");
    const owned = await server.admin.get(`/v1/projects/${outs.projectId}/api-keys`, {
      params: { managedBy: current.find((r: any) => r.type.endsWith(":ApiKey")).outputs.managedBy },
    });
    assert.deepEqual(
      owned.data.items.map((k: any) => k.id),
      [outs.keyId],
      "the upgrade records which stack manages the key",
    );

    server = await restartWithToken(server, "kpadmin_legacy-token-NEW");
    await stack.setConfig("keyplane:token", { value: server.adminToken, secret: true });
    // As with any provider, a plain refresh uses the provider configuration state recorded;
    // with the program run, it takes the new stack config.
    assert.equal((await stack.refresh({ runProgram: true })).summary.result, "succeeded");
    assert.equal((await stack.destroy()).summary.result, "succeeded");
    assert.equal((await gateway(server.url, outs.keySecret)).data.error.code, "revoked_key");
  });

  describe("a pulumi up killed part-way", () => {
    const MANY = `
const keyplane = require("keyplane");
const p = new keyplane.Project("proj", { name: "killed-" + require("@pulumi/pulumi").getStack() });
const deps = [0, 1, 2].map((i) => new keyplane.Deployment("dep" + i, { project: p.id, model: "m" + i }));
const keys = [];
for (let i = 0; i < 54; i++) {
  const k = new keyplane.ApiKey("key" + i, { project: p.id, ttl: "30d" });
  new keyplane.DeploymentBinding("bind" + i, { project: p.id, apiKey: k.keyId, deployment: deps[i % 3].id });
  keys.push(k.keyId);
}
for (let i = 0; i < 6; i++) new keyplane.Secret("sec" + i, { project: p.id, useCase: "generic", value: { data: { N: String(i) } } });
module.exports = { projectId: p.id, keys };
`;

    /**
     * Runs `pulumi <args>` in its own process group and SIGKILLs the group once `until` says so;
     * resolves with the run's processes as they were at the kill.
     */
    const runAndKill = (stack: Stack, args: string[], until: () => Promise<boolean>) =>
      new Promise<{ pid: number; cmd: string }[]>((resolve, reject) => {
        const { envVars } = stack.workspace as LocalWorkspace;
        const child = spawn("pulumi", [...args, "--stack", stack.name, "--non-interactive"], {
          cwd: stack.workspace.workDir,
          env: { ...process.env, ...envVars },
          detached: true,
          stdio: "ignore",
        });
        let done = false;
        let atKill: { pid: number; cmd: string }[] = [];
        child.on("exit", () => {
          done = true;
          resolve(atKill);
        });
        child.on("error", reject);
        const poll = async () => {
          if (done) return;
          if (await until()) {
            atKill = processesIn(stack.workspace.workDir);
            process.kill(-child.pid!, "SIGKILL"); // a cancelled CI job: the CLI's group (Pulumi starts each plugin in a group of its own)
            return;
          }
          setTimeout(() => void poll().catch(reject), 25);
        };
        void poll().catch(reject);
      });

    for (const killAt of [4, 30]) {
      it(`killed after ${killAt} keys exist: refresh and up leave exactly the keys in state; destroy leaves none`, async () => {
        const server = track(await startTestServer("sqlite"));
        const dir = writeProgram(`ops-kill-${killAt}`, MANY);
        const stack = await newStack(bin, dir, providerEnv(server));
        const projectId = async () =>
          (await server.admin.get("/v1/projects")).data.items.find((p: any) => p.name === `killed-${stack.name}`)?.id as
            | string
            | undefined;
        const liveKeys = async () => {
          const id = await projectId();
          return id
            ? ((await server.admin.get(`/v1/projects/${id}/api-keys`)).data.items as any[]).map((k) => k.id as string)
            : [];
        };
        const running = await runAndKill(
          stack,
          ["up", "--yes", "--skip-preview"],
          async () => (await liveKeys()).length >= killAt,
        );
        const atKill = (await liveKeys()).length;
        assert.ok(atKill >= killAt && atKill < 54, `killed part-way (${atKill} keys)`);

        // The language host and the dynamic-provider process are not in the CLI's group: they
        // must notice that their engine is gone and exit, with every process they started.
        const names = running.map((p) => p.cmd).join("\n");
        assert.match(names, /pulumi-language-nodejs/, "the language host was running at the kill");
        assert.match(names, /pulumi-resource-pulumi-nodejs/, "the dynamic-provider process was running at the kill");
        const deadline = Date.now() + 60_000;
        let left = processesIn(dir);
        while (left.length > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          left = processesIn(dir);
        }
        assert.deepEqual(left, [], "no process of the killed run is still alive a minute later");

        // What Pulumi asks for after an interrupted update: remove the dead run's lock, refresh
        // (forgetting the creates it never heard back from), then the same up again.
        for (const repair of repairKilledCheckpoint(dir, `ops-kill-${killAt}`, stack.name))
          console.log(`      (the kill broke the checkpoint: ${repair})`);
        await stack.cancel();
        const refreshed = await stack.refresh({ clearPendingCreates: true });
        assert.equal(refreshed.summary.result, "succeeded");
        const up = await stack.up();
        assert.equal(up.summary.result, "succeeded");

        const inState = ((await outputsOf(stack)).keys as string[]).slice().sort();
        assert.equal(inState.length, 54);
        assert.deepEqual((await liveKeys()).sort(), inState, "the server's active keys are exactly the keys in state");
        const pid = (await projectId())!;
        assert.equal((await server.admin.get(`/v1/projects/${pid}/secrets`)).data.items.length, 6);
        assert.equal((await server.admin.get(`/v1/projects/${pid}/deployments`)).data.items.length, 3);

        assert.equal((await stack.destroy()).summary.result, "succeeded");
        assert.deepEqual(await liveKeys(), [], "destroy leaves no active key");
        assert.equal(await projectId(), undefined);
      });
    }
  });

  it("a key at its explicitMaxTtl is replaced by a different key; a key deleted out of band is recreated as a different key", async () => {
    const server = track(await startTestServer("sqlite"));
    const program = `
const keyplane = require("keyplane");
const p = new keyplane.Project("proj", { name: "renew-max" });
const d = new keyplane.Deployment("dep", { project: p.id, model: "m" });
// Its first expiry is already its explicit max, so renewal can go no further: every up replaces it.
const k = new keyplane.ApiKey("capped", { project: p.id, ttl: "1h", renewable: true, explicitMaxTtl: "1h", renewBefore: "2h" });
new keyplane.DeploymentBinding("capped-dep", { project: p.id, apiKey: k.keyId, deployment: d.id });
const plain = new keyplane.ApiKey("plain", { project: p.id, ttl: "1h", deploymentAccess: "all" });
module.exports = { projectId: p.id, capped: k.keyId, cappedSecret: k.secret, plain: plain.keyId, plainSecret: plain.secret };
`;
    const stack = await newStack(bin, writeProgram("ops-renew-max", program), providerEnv(server));
    await stack.up();
    const first = await outputsOf(stack);
    const pre = await stack.preview();
    assert.equal(pre.changeSummary.replace, 2, `the capped key and its binding: ${JSON.stringify(pre.changeSummary)}`);
    await stack.up();
    const second = await outputsOf(stack);
    assert.notEqual(second.capped, first.capped, "a new key, not the old one replayed");
    assert.notEqual(second.cappedSecret, first.cappedSecret);
    assert.equal((await gateway(server.url, second.cappedSecret)).status, 200);
    assert.equal((await gateway(server.url, first.cappedSecret)).data.error.code, "revoked_key");

    assert.equal((await server.admin.delete(`/v1/projects/${first.projectId}/api-keys/${second.plain}`)).status, 204);
    await stack.refresh();
    await stack.up();
    const third = await outputsOf(stack);
    assert.notEqual(third.plain, second.plain, "recreated as a different key");
    assert.equal((await gateway(server.url, third.plainSecret)).status, 200);
    await stack.destroy();
  });

  it("adoptKeyId takes over a key made by the API, keeps its secret working, and destroy revokes it", async () => {
    const server = track(await startTestServer("sqlite"));
    const seeded = await seedProject(server.admin, {
      name: "adopt-e2e",
      deployments: { dep: {} },
      keys: { "made-in-console": { ttl: "30d" } },
    });
    const project = { id: seeded.projectId };
    const made = seeded.keys["made-in-console"];
    const program = `
const keyplane = require("keyplane");
const k = new keyplane.ApiKey("adopted", { project: "${project.id}", adoptKeyId: "${made.id}", ttl: "30d", labels: { team: "ops" } });
const dep = "${seeded.deployments.dep}";
new keyplane.DeploymentBinding("adopted-dep", { project: "${project.id}", apiKey: k.keyId, deployment: dep });
module.exports = { keyId: k.keyId, secret: k.secret };
`;
    const stack = await newStack(bin, writeProgram("ops-adopt", program), providerEnv(server));
    assert.equal((await gateway(server.url, made.secret)).data.error.code, "deployment_not_bound");
    await stack.up();
    const outs = await outputsOf(stack);
    assert.equal(outs.keyId, made.id);
    assert.equal(outs.secret, "");
    assert.equal(
      (await gateway(server.url, made.secret)).status,
      200,
      "the program's binding applies to the adopted key",
    );
    const onServer = (await server.admin.get(`/v1/projects/${project.id}/api-keys/${made.id}`)).data;
    assert.deepEqual(onServer.labels, { team: "ops" });
    assert.match(
      onServer.managedBy,
      /^pulumi:e2e:urn:pulumi:e2e::ops-adopt::pulumi-nodejs:dynamic\/keyplane:ApiKey::adopted$/,
    );
    await stack.destroy();
    assert.equal((await gateway(server.url, made.secret)).data.error.code, "revoked_key");
  });
});
