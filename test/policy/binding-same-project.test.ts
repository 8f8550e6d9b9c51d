import { strict as assert } from "node:assert";
import { bindingSameProject, checkBindingsSameProject } from "../../policy-pack/policies/bindings";
import { bindingStack, runStack } from "./fixture";

describe("policies as pure functions", () => {
  it("keyplane-binding-same-project (stack policy)", () => {
    const { all, cross } = bindingStack();
    assert.deepEqual(
      checkBindingsSameProject(all).map((v) => v.urn),
      [cross.urn],
    );
    assert.equal(runStack(bindingSameProject, all).length, 1);
  });
});
