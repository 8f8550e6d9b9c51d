import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkKeysBound, keyMustBeBound } from "../../policy-pack/policies/bindings";
import { bindingStack, res, runStack } from "./fixture";

describe("policies as pure functions", () => {
  it("keyplane-key-must-be-bound (stack policy)", () => {
    const { all, bound, lonely } = bindingStack();
    assert.deepEqual(
      checkKeysBound(all, { maxBindingsPerKey: 10 }).map((v) => v.urn),
      [lonely.urn],
    );
    assert.match(
      checkKeysBound(all, { maxBindingsPerKey: 1 }).find((v) => v.urn === bound.urn)!.message,
      /bound to 2 deployments; at most 1/,
    );
    // Matching by literal ids when there are no dependencies (imported or known values).
    const k = res(keyplane.ApiKey, "k", { keyId: "key_1", project: "prj_1" });
    const b = res(keyplane.DeploymentBinding, "b", { apiKey: "key_1", project: "prj_1", deployment: "dep_9" });
    assert.deepEqual(checkKeysBound([k, b], { maxBindingsPerKey: 10 }), []);
    assert.equal(runStack(keyMustBeBound, all).length, 1, "default maxBindingsPerKey from configSchema");
    assert.equal(runStack(keyMustBeBound, all, { maxBindingsPerKey: 1 }).length, 2);
  });
});
