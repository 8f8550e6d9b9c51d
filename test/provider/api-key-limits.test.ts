import { strict as assert } from "node:assert";
import { provider as apiKey, gracePeriodFor } from "../../provider/resources/api-key";
import { provider as deployment } from "../../provider/resources/deployment";
import { provider as project } from "../../provider/resources/project";
import { gateway } from "../helpers/http";
import { serverInEnv, type TestServer } from "../helpers/server";

describe("ApiKey limits through the provider", () => {
  const suite = serverInEnv();
  let s: TestServer;
  let projectId: string;
  before(async () => {
    s = suite.server;
    projectId = (await project.create!({ name: "limits-prov" })).id;
    await deployment.create!({ project: projectId, name: "dep", model: "m" });
  });

  it("check names bad limits, CIDRs and grace periods at preview", async () => {
    const table: [Record<string, unknown>, string][] = [
      [{ rateLimit: { limit: 0, window: "1m" } }, "rateLimit.limit"],
      [{ rateLimit: { limit: 5, window: "0" } }, "rateLimit.window"],
      [{ allowedCidrs: ["10.0.0.0/8", "10.0.0.0/40"] }, "allowedCidrs.1"],
      [{ enabled: "yes" }, "enabled"],
      [{ rotationGracePeriod: "an hour" }, "rotationGracePeriod"],
      [{ ttl: "1h", rotationGracePeriod: "2h" }, "rotationGracePeriod"],
    ];
    for (const [inputs, field] of table) {
      const r = await apiKey.check!({}, { project: "p", name: "k", ...inputs });
      assert.deepEqual(
        r.failures?.map((f) => f.property),
        [field],
        JSON.stringify(inputs),
      );
    }
    assert.equal(
      (await apiKey.check!({}, { project: "p", name: "k", ttl: "1h", rotationGracePeriod: "1h" })).failures,
      undefined,
    );
  });

  it("creates with limits, updates enabled, rateLimit, allowedCidrs and rotationGracePeriod in place, and deletes with the grace", async () => {
    const inputs = {
      project: projectId,
      name: "k",
      ttl: "1d",
      deploymentAccess: "all",
      rateLimit: { limit: 5, window: "1m" },
      allowedCidrs: ["10.0.0.0/8"],
    };
    const created = await apiKey.create!(inputs);
    const get = async () => (await s.admin.get(`/v1/projects/${projectId}/api-keys/${created.id}`)).data;
    assert.deepEqual(
      [(await get()).rateLimit, (await get()).allowedCidrs],
      [{ limit: 5, window: "1m" }, ["10.0.0.0/8"]],
    );

    const next = {
      ...inputs,
      enabled: false,
      rateLimit: { limit: 50, window: "1h" },
      allowedCidrs: undefined,
      rotationGracePeriod: "30m",
    };
    const d = await apiKey.diff!(created.id, created.outs, next);
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, [], "all in place");
    const updated = await apiKey.update!(created.id, created.outs, next);
    const key = await get();
    assert.deepEqual([key.enabled, key.rateLimit, key.allowedCidrs], [false, { limit: 50, window: "1h" }, []]);
    assert.equal(updated.outs!.secret, created.outs.secret);
    const call = () => gateway(s.url, created.outs.secret, { content: "x" });
    assert.equal((await call()).data.error.code, "disabled_key");
    const enabled = await apiKey.update!(created.id, updated.outs!, { ...next, enabled: undefined });
    assert.equal((await get()).enabled, true, "removing enabled from the program enables the key");
    assert.equal((await call()).status, 200);

    await apiKey.delete!(created.id, enabled.outs!);
    assert.equal((await call()).status, 200, "still valid during the grace");
    assert.equal((await get()).expiresAt, new Date(s.clock.now + 30 * 60_000).toISOString());
    s.clock.advance(30 * 60_000);
    assert.equal((await call()).data.error.code, "expired_key");
  });

  it("a delete never asks for more grace than the key has left, so it cannot fail the up", async () => {
    const now = Date.now();
    assert.equal(gracePeriodFor({ rotationGracePeriod: "1h" }, now), "1h");
    assert.equal(
      gracePeriodFor({ rotationGracePeriod: "1h", expiresAt: new Date(now + 125_000).toISOString() }, now),
      "2m",
    );
    assert.equal(
      gracePeriodFor({ rotationGracePeriod: "1h", expiresAt: new Date(now + 3_000).toISOString() }, now),
      undefined,
      "about to expire: revoked at once",
    );
    assert.equal(gracePeriodFor({ rotationGracePeriod: "0" }, now), undefined);
    assert.equal(gracePeriodFor({}, now), undefined);

    s.clock.now = Date.now(); // the provider's clock and the server's agree again
    const expiresAt = new Date(s.clock.now + 65_000).toISOString();
    const created = await apiKey.create!({ project: projectId, name: "short", expiresAt, rotationGracePeriod: "10m" });
    await apiKey.delete!(created.id, created.outs);
    const key = (await s.admin.get(`/v1/projects/${projectId}/api-keys/${created.id}`)).data;
    assert.equal(key.status, "active", "revoked with what grace it had left");
    assert.ok(
      Date.parse(key.expiresAt) <= Date.parse(expiresAt) && Date.parse(key.expiresAt) >= Date.parse(expiresAt) - 10_000,
      key.expiresAt,
    );
  });
});
