import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkAllDeployments, keyNoAllDeployments } from "../../policy-pack/policies/key-scope";
import { evasions } from "./evasions";
import { NOW, runResource } from "./fixture";

describe("policies as pure functions", () => {
  it("keyplane-key-no-all-deployments", () => {
    for (const e of evasions.filter((x) => x.allDeployments !== undefined))
      assert.equal(checkAllDeployments(e.props(NOW), e.resource).length, e.allDeployments ? 1 : 0, e.what);
    assert.match(checkAllDeployments({ deploymentAccess: "all" }, "k")[0], /deploymentAccess "all"/);
    assert.equal(runResource(keyNoAllDeployments, keyplane.ApiKey, { deploymentAccess: "all" }).length, 1);
  });
});
