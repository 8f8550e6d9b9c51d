import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { allowedResource, checkProjectScope, keyLeastPrivilegeScope } from "../../policy-pack/policies/key-scope";
import { evasions } from "./evasions";
import { NOW, runResource } from "./fixture";

describe("policies as pure functions", () => {
  describe("keyplane-key-least-privilege-scope allows project scope by resource, not display name", () => {
    const urn = (stack: string, name: string) => `urn:pulumi:${stack}::infra::${keyplane.ApiKey.__pulumiType}::${name}`;
    for (const e of evasions.filter((x) => x.scope !== undefined)) {
      it(`${e.resource}: ${e.what}`, () => {
        const messages = checkProjectScope(
          e.props(NOW),
          { name: e.resource, urn: urn("e2e", e.resource) },
          { allowedProjectScopeResources: e.scope!.allowed },
        );
        assert.equal(messages.length, e.scope!.refused ? 1 : 0, JSON.stringify(messages));
        if (e.scope!.refused)
          assert.match(messages[0], /scope "project".*allowedProjectScopeResources.*display name does not count/);
      });
    }
    it("patterns: a bare pattern matches the resource name, a urn: pattern the URN, with * and ? wildcards", () => {
      const ops = { name: "ops-deploy", urn: urn("e2e", "ops-deploy") };
      assert.ok(allowedResource(["ops-*"], ops));
      assert.ok(allowedResource(["ops-deplo?"], ops));
      assert.ok(allowedResource(["urn:pulumi:e2e::*::*keyplane:ApiKey::ops-*"], ops));
      assert.ok(
        !allowedResource(["urn:pulumi:e2e::*::*keyplane:ApiKey::ops-*"], {
          name: "ops-deploy",
          urn: urn("dev", "ops-deploy"),
        }),
        "another stack",
      );
      assert.ok(!allowedResource(["ops"], ops), "whole-name match");
      assert.ok(!allowedResource(["ops.deploy"], ops), "dots are literal");
      assert.ok(!allowedResource([], ops));
      assert.equal(
        runResource(
          keyLeastPrivilegeScope,
          keyplane.ApiKey,
          { name: "ops", scope: "project" },
          { allowedProjectScopeResources: ["ops"] },
          "other",
        ).length,
        1,
      );
      assert.equal(
        runResource(
          keyLeastPrivilegeScope,
          keyplane.ApiKey,
          { name: "x", scope: "project" },
          { allowedProjectScopeResources: ["ops"] },
          "ops",
        ).length,
        0,
      );
      assert.equal(
        runResource(keyLeastPrivilegeScope, keyplane.ApiKey, { scope: "project" }).length,
        1,
        "default: nothing allowed",
      );
    });
  });
});
