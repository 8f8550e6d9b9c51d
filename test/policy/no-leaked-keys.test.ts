import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkNoLeakedKeys, noLeakedKeys } from "../../policy-pack/policies/no-leaked-keys";
import { res, runStack, UNKNOWN, unknownBooleanValue, unknownCheckingProxy } from "./fixture";

describe("keyplane-no-leaked-keys (stack)", () => {
  it("a key refresh saw leaked is a mandatory violation until replaced; a replacement under way is not", () => {
    const leaked = res(keyplane.ApiKey, "exposed", {
      keyId: "key_1",
      leaked: true,
      leakedAt: "2026-12-01T21:00:00.000Z",
    });
    const fine = res(keyplane.ApiKey, "fine", { keyId: "key_2", leaked: false, leakedAt: null });
    const old = res(keyplane.ApiKey, "old", { keyId: "key_3" }); // state from before leak status existed
    const replacing = res(
      keyplane.ApiKey,
      "replacing",
      unknownCheckingProxy({ keyId: UNKNOWN(), leaked: unknownBooleanValue, leakedAt: UNKNOWN() }),
    );
    const violations = runStack(noLeakedKeys, [leaked, fine, old, replacing]);
    assert.deepEqual(
      violations.map((v) => v.urn),
      [leaked.urn],
    );
    assert.match(violations[0].message, /ApiKey exposed was reported leaked at 2026-12-01T21:00:00.000Z/);
    assert.match(violations[0].message, /pulumi up --refresh/);
    assert.equal(noLeakedKeys.enforcementLevel, "mandatory");
    assert.deepEqual(checkNoLeakedKeys([fine, old, replacing]), []);
    // Any other failure reading props is not taken for "not known yet".
    const broken = res(keyplane.ApiKey, "broken", {});
    Object.defineProperty(broken.props, "leaked", {
      get() {
        throw new Error("boom");
      },
    });
    assert.throws(() => checkNoLeakedKeys([broken]), /boom/);
  });
});
