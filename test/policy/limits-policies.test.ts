import { strict as assert } from "node:assert";
import { checkKeyRateLimit, keyRateLimit } from "../../policy-pack/policies/key-rate-limit";
import { TYPE } from "../../policy-pack/policies/keyplane-resources";
import { checkRotationGrace, rotationGraceMax } from "../../policy-pack/policies/rotation-grace-max";

/** A resource policy run as the engine would, without the pack's gRPC server. */
function run(policy: typeof keyRateLimit, type: string, props: Record<string, unknown>, config: object = {}) {
  const violations: string[] = [];
  const validate = policy.validateResource as (args: unknown, report: (m: string) => void) => void;
  validate({ type, props, urn: `urn:${type}::r`, name: "r", getConfig: () => config }, (m) => violations.push(m));
  return violations;
}

describe("limit policies as pure functions", () => {
  it("keyplane-key-rate-limit: inference keys set a rateLimit of at most maxRequestsPerMinute; advisory", () => {
    const cfg = { maxRequestsPerMinute: 600 };
    assert.equal(keyRateLimit.enforcementLevel, "advisory");
    assert.match(checkKeyRateLimit({}, "k", cfg)[0], /Inference ApiKey k has no rateLimit.*600/);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: 600, window: "1m" } }, "k", cfg), []);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: 36000, window: "1h" } }, "k", cfg), [], "600 a minute, over an hour");
    assert.match(checkKeyRateLimit({ rateLimit: { limit: 20, window: "1s" } }, "k", cfg)[0], /20 calls per 1s \(1200 a minute\)/);
    assert.deepEqual(checkKeyRateLimit({ scope: "project" }, "k", cfg), [], "project keys are not judged");
    assert.match(checkKeyRateLimit({ scope: "inference" }, "k", cfg)[0], /no rateLimit/);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: { unknown: true }, window: "1m" } }, "k", cfg), [], "unknown at preview");
    assert.equal(checkKeyRateLimit({ rateLimit: { limit: 100, window: "1m" } }, "k", { maxRequestsPerMinute: 60 }).length, 1, "config lowers it");
    assert.throws(() => checkKeyRateLimit({}, "k", { maxRequestsPerMinute: -1 }), /maxRequestsPerMinute/);
    assert.equal(run(keyRateLimit, TYPE.ApiKey, { rateLimit: { limit: 1000, window: "1m" } }).length, 1, "default 600");
    assert.equal(run(keyRateLimit, TYPE.ApiKey, { rateLimit: { limit: 1000, window: "1m" } }, { maxRequestsPerMinute: 1000 }).length, 0);
    assert.equal(run(keyRateLimit, TYPE.Secret, {}).length, 0, "other kinds are not judged");
  });

  it("keyplane-rotation-grace-max: rotationGracePeriod at most maxGracePeriod (default 24h)", () => {
    assert.deepEqual(checkRotationGrace({}, "k", { maxGracePeriod: "24h" }), []);
    assert.deepEqual(checkRotationGrace({ rotationGracePeriod: "24h" }, "k", { maxGracePeriod: "24h" }), []);
    assert.match(checkRotationGrace({ rotationGracePeriod: "2d" }, "k", { maxGracePeriod: "24h" })[0], /ApiKey k has rotationGracePeriod 2d.*at most 24h/);
    assert.equal(checkRotationGrace({ rotationGracePeriod: "2h" }, "k", { maxGracePeriod: "1h" }).length, 1);
    assert.deepEqual(checkRotationGrace({ rotationGracePeriod: { unknown: true } }, "k", { maxGracePeriod: "24h" }), [], "unknown at preview");
    assert.throws(() => checkRotationGrace({}, "k", { maxGracePeriod: "a day" }), /maxGracePeriod/);
    assert.equal(run(rotationGraceMax, TYPE.ApiKey, { rotationGracePeriod: "48h" }).length, 1);
    assert.equal(run(rotationGraceMax, TYPE.ApiKey, { rotationGracePeriod: "48h" }, { maxGracePeriod: "72h" }).length, 0);
  });
});
