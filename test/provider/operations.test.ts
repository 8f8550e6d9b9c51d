import { strict as assert } from "node:assert";
import { provider as apiKey } from "../../provider/resources/api-key";
import { provider as deployment } from "../../provider/resources/deployment";
import { provider as project } from "../../provider/resources/project";
import { provider as secret } from "../../provider/resources/secret";
import { gateway } from "../helpers/http";
import { startTestServer, type TestServer } from "../helpers/server";

/** The api-key provider as a new provider process (a later `pulumi` run) would load it. */
function nextRun(): typeof apiKey {
  for (const m of ["../../provider/resources/api-key", "../../provider/resource-kind"])
    delete require.cache[require.resolve(m)];
  return require("../../provider/resources/api-key").provider;
}

const configOf = (values: Record<string, string>) => ({
  config: { get: (k: string) => values[k], require: (k: string) => values[k] },
});
const owner = (name: string) => `pulumi:test:urn:pulumi:test::ops::pulumi-nodejs:dynamic/keyplane:ApiKey::${name}`;

describe("provider under real operations: credentials, reruns, adoption", () => {
  let s: TestServer;
  let projectId: string;
  const savedEnv = { ...process.env };
  const liveKeys = async () => (await s.admin.get(`/v1/projects/${projectId}/api-keys`)).data.items as any[];

  before(async () => {
    s = await startTestServer("sqlite");
    // Credentials come only from the stack config handed to configure.
    delete process.env.KEYPLANE_ENDPOINT;
    delete process.env.KEYPLANE_TOKEN;
    await apiKey.configure!(configOf({ "keyplane:endpoint": s.url, "keyplane:token": s.adminToken }) as any);
    projectId = (await project.create!({ name: "ops-test", managedBy: owner("p") })).id;
  });
  after(async () => {
    process.env = savedEnv;
    await s.close();
  });

  it("uses the stack config from configure, and a 401 names the source but never the token", async () => {
    await apiKey.configure!(configOf({ "keyplane:endpoint": s.url, "keyplane:token": "kpadmin_not-the-token" }) as any);
    try {
      const err: Error = await apiKey.create!({ project: projectId, name: "x" }).then(
        () => assert.fail("a wrong token must be refused"),
        (e) => e,
      );
      assert.match(err.message, /401/);
      assert.match(err.message, /stack config keyplane:token/);
      assert.ok(!err.message.includes("kpadmin_not-the-token"), "the token is never in a message");
      process.env.KEYPLANE_TOKEN = s.adminToken;
      const k = await apiKey.create!({ project: projectId, name: "env-wins" });
      assert.match(k.id, /^key_/, "the environment comes first");
    } finally {
      delete process.env.KEYPLANE_TOKEN;
      await apiKey.configure!(configOf({ "keyplane:endpoint": s.url, "keyplane:token": s.adminToken }) as any);
    }
  });

  it("replays a create repeated after a killed run, and makes a new object once the first is deleted", async () => {
    const inputs = { project: projectId, name: "rerun", ttl: "1h", managedBy: owner("rerun") };
    const first = await apiKey.create!(inputs);
    const rerun = nextRun();
    const again = await rerun.create!(inputs);
    assert.equal(again.id, first.id, "the rerun's create is the first one");
    assert.equal(again.outs.secret, first.outs.secret);
    assert.equal((await liveKeys()).filter((k) => k.name === "rerun").length, 1);
    const other = await rerun.create!({ ...inputs, managedBy: owner("rerun-2") });
    assert.notEqual(other.id, first.id, "another resource with the same inputs is another key");
    const changed = await rerun.create!({ ...inputs, rotationTrigger: "2" });
    assert.notEqual(changed.id, first.id, "a rotation is a new key, though the request body is the same");
    const later = nextRun();
    await later.delete!(first.id, first.outs);
    const recreated = await later.create!(inputs);
    assert.notEqual(recreated.id, first.id, "after a delete, the same create makes a new key");
    assert.notEqual(recreated.outs.secret, first.outs.secret);
  });

  it("never replays a key that is itself due for replacement (renewable at its explicitMaxTtl)", async () => {
    const inputs = {
      project: projectId,
      name: "at-max",
      ttl: "1h",
      renewable: true,
      explicitMaxTtl: "1h",
      renewBefore: "2h",
      managedBy: owner("at-max"),
    };
    const first = await apiKey.create!(inputs);
    const replacement = await apiKey.create!(inputs);
    assert.notEqual(replacement.id, first.id, "the replacement is a different key");
    const rerun = await apiKey.create!(inputs);
    assert.equal(rerun.id === first.id, false);
    // The replacement is at its max too, so a rerun moves on again; it never returns the first key.
    const ids = new Set([first.id, replacement.id, rerun.id]);
    assert.equal(ids.size, 3);
  });

  it("a replacement with unchanged inputs never gets the replaced object back, and never revokes what it kept", async () => {
    const inputs = { project: projectId, name: "forced", ttl: "1h", managedBy: owner("forced") };
    const first = await apiKey.create!(inputs);
    const run = nextRun();
    // A diff saw it: the object is in state, so a replay of it is a replacement.
    await run.diff!(first.id, first.outs, inputs);
    const replacement = await run.create!(inputs);
    assert.notEqual(replacement.id, first.id);
    // `up --replace` (no diff first): the create gets the same key back, and the delete keeps it.
    const forced = nextRun();
    const same = await forced.create!(inputs);
    assert.equal(same.id, first.id);
    await forced.delete!(first.id, first.outs);
    assert.ok(
      (await liveKeys()).some((k) => k.id === first.id),
      "the key state holds is not revoked",
    );
  });

  it("does not fail on a unique name its own killed run already took", async () => {
    const p = { name: "ops-named", managedBy: owner("named-project") };
    const first = await project.create!(p);
    assert.equal((await project.create!(p)).id, first.id);
    const d = { project: projectId, name: "ops-dep", model: "m", managedBy: owner("dep") };
    assert.equal((await deployment.create!(d)).id, (await deployment.create!(d)).id);
    const sec = {
      project: projectId,
      name: "ops-secret",
      useCase: "huggingface",
      value: { token: "hf_rerun" },
      managedBy: owner("sec"),
    };
    const s1 = await secret.create!(sec);
    assert.equal((await secret.create!(sec)).id, s1.id);
    await project.delete!(first.id, first.outs);
  });

  it("lists what a stack manages", async () => {
    const k = await apiKey.create!({ project: projectId, name: "listed", managedBy: owner("listed") });
    const r = await s.admin.get(`/v1/projects/${projectId}/api-keys`, { params: { managedBy: owner("listed") } });
    assert.deepEqual(
      r.data.items.map((x: any) => x.id),
      [k.id],
    );
    assert.equal(r.data.items[0].managedBy, owner("listed"));
  });

  it("migrates state that holds a connection: check drops it, diff asks for an update, update rewrites without it", async () => {
    const inputs = { project: projectId, name: "legacy", ttl: "1h" };
    const created = await apiKey.create!(inputs);
    const legacyState = { ...created.outs, __connection: { endpoint: s.url, token: s.adminToken } };
    const checked = await apiKey.check!(legacyState, {
      ...inputs,
      __connection: { endpoint: s.url, token: s.adminToken },
      managedBy: owner("legacy"),
    });
    assert.equal(checked.failures, undefined);
    assert.ok(!("__connection" in checked.inputs!), "check drops the old input");
    const d = await apiKey.diff!(created.id, legacyState, checked.inputs!);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, [], "no replacement");
    const updated = await apiKey.update!(created.id, legacyState, checked.inputs!);
    assert.ok(!JSON.stringify(updated.outs).includes("__connection"));
    assert.equal(updated.outs!.secret, created.outs.secret);
    assert.equal(updated.outs!.keyId, created.id);
    // A delete of old state before any up still finds the server through the stored connection.
    await apiKey.configure!(configOf({}) as any);
    try {
      await apiKey.delete!(created.id, legacyState);
    } finally {
      await apiKey.configure!(configOf({ "keyplane:endpoint": s.url, "keyplane:token": s.adminToken }) as any);
    }
    assert.ok(!(await liveKeys()).some((k) => k.id === created.id));
  });

  it("adopts a key made elsewhere without a new secret, and revokes it on delete", async () => {
    const made = (await s.admin.post(`/v1/projects/${projectId}/api-keys`, { name: "console-made", ttl: "30d" })).data;
    const mismatch = await apiKey.create!({
      project: projectId,
      name: "adopted",
      adoptKeyId: made.id,
      scope: "project",
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.match(String(mismatch?.message), /adoptKeyId.*scope/);
    const adopted = await apiKey.create!({
      project: projectId,
      name: "adopted",
      adoptKeyId: made.id,
      labels: { team: "x" },
      managedBy: owner("adopted"),
    });
    assert.equal(adopted.id, made.id);
    assert.equal(adopted.outs.secret, "", "the secret was shown once, to whoever made the key");
    const onServer = (await s.admin.get(`/v1/projects/${projectId}/api-keys/${made.id}`)).data;
    assert.equal(onServer.name, "adopted");
    assert.equal(onServer.managedBy, owner("adopted"));
    const call = () => gateway(s.url, made.secret, { model: "none" });
    assert.equal(
      (await call()).data.error.code,
      "model_not_found",
      "the adopted key keeps working (it gets as far as the model)",
    );
    await assert.rejects(
      apiKey.diff!(made.id, adopted.outs, {
        project: projectId,
        name: "adopted",
        adoptKeyId: made.id,
        rotationTrigger: "2",
        managedBy: owner("adopted"),
      }),
      /adoptKeyId/,
      "a replacement of an adopted key is refused, not a revoke of the same key",
    );
    await apiKey.delete!(made.id, adopted.outs);
    assert.equal((await call()).data.error.code, "revoked_key");
  });
});
