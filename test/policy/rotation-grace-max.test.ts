import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkRotationGrace, rotationGraceMax } from "../../policy-pack/policies/rotation-grace-max";
import { runResource } from "./fixture";

describe("limit policies as pure functions", () => {
  it("keyplane-rotation-grace-max: rotationGracePeriod at most maxGracePeriod (default 24h)", () => {
    assert.deepEqual(checkRotationGrace({}, "k", { maxGracePeriod: "24h" }), []);
    assert.deepEqual(checkRotationGrace({ rotationGracePeriod: "24h" }, "k", { maxGracePeriod: "24h" }), []);
    assert.match(
      checkRotationGrace({ rotationGracePeriod: "2d" }, "k", { maxGracePeriod: "24h" })[0],
      /ApiKey k has rotationGracePeriod 2d.*at most 24h/,
    );
    assert.equal(checkRotationGrace({ rotationGracePeriod: "2h" }, "k", { maxGracePeriod: "1h" }).length, 1);
    assert.throws(() => checkRotationGrace({}, "k", { maxGracePeriod: "a day" }), /maxGracePeriod/);
    assert.equal(
      runResource(rotationGraceMax, keyplane.ApiKey, { rotationGracePeriod: "48h" }).length,
      1,
      "default 24h",
    );
    assert.equal(
      runResource(rotationGraceMax, keyplane.ApiKey, { rotationGracePeriod: "48h" }, { maxGracePeriod: "72h" }).length,
      0,
    );
  });
});
