import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkKeyRateLimit, keyRateLimit } from "../../policy-pack/policies/key-rate-limit";
import { runResource, UNKNOWN, unknownCheckingProxy } from "./fixture";

describe("limit policies as pure functions", () => {
  it("keyplane-key-rate-limit: inference keys set a rateLimit of at most maxRequestsPerMinute; advisory", () => {
    const cfg = { maxRequestsPerMinute: 600 };
    assert.equal(keyRateLimit.enforcementLevel, "advisory");
    assert.match(checkKeyRateLimit({}, "k", cfg)[0], /Inference ApiKey k has no rateLimit.*600/);
    assert.deepEqual(checkKeyRateLimit({ rateLimit: { limit: 600, window: "1m" } }, "k", cfg), []);
    assert.deepEqual(
      checkKeyRateLimit({ rateLimit: { limit: 36000, window: "1h" } }, "k", cfg),
      [],
      "600 a minute, over an hour",
    );
    assert.match(
      checkKeyRateLimit({ rateLimit: { limit: 20, window: "1s" } }, "k", cfg)[0],
      /20 calls per 1s \(1200 a minute\)/,
    );
    assert.deepEqual(checkKeyRateLimit({ scope: "project" }, "k", cfg), [], "project keys are not judged");
    assert.match(checkKeyRateLimit({ scope: "inference" }, "k", cfg)[0], /no rateLimit/);
    assert.equal(
      checkKeyRateLimit({ rateLimit: { limit: 100, window: "1m" } }, "k", { maxRequestsPerMinute: 60 }).length,
      1,
      "config lowers it",
    );
    assert.throws(() => checkKeyRateLimit({}, "k", { maxRequestsPerMinute: -1 }), /maxRequestsPerMinute/);
    assert.equal(
      runResource(keyRateLimit, keyplane.ApiKey, { rateLimit: { limit: 1000, window: "1m" } }).length,
      1,
      "default 600",
    );
    assert.equal(
      runResource(
        keyRateLimit,
        keyplane.ApiKey,
        { rateLimit: { limit: 1000, window: "1m" } },
        { maxRequestsPerMinute: 1000 },
      ).length,
      0,
    );
    assert.throws(() => runResource(keyRateLimit, keyplane.Secret, {}), /not applicable/, "other kinds are not judged");
    assert.throws(
      () => runResource(keyRateLimit, keyplane.ApiKey, unknownCheckingProxy({ rateLimit: UNKNOWN() })),
      /unknown|not known|preview/i,
      "unknown at preview: not judged",
    );
  });
});
