import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkUsageLimit, usageLimitForLabelledKeys } from "../../policy-pack/policies/usage-limit";
import { runResource } from "./fixture";

describe("policies as pure functions", () => {
  it("keyplane-usage-limit-for-labelled-keys, with a configurable label", () => {
    assert.match(
      checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "purpose", labelValue: "ci" })[0],
      /numUses/,
    );
    assert.deepEqual(
      checkUsageLimit({ labels: { purpose: "ci" }, numUses: 100 }, "k", { labelKey: "purpose", labelValue: "ci" }),
      [],
    );
    assert.deepEqual(
      checkUsageLimit({ labels: { purpose: "ci" } }, "k", { labelKey: "kind", labelValue: "batch" }),
      [],
    );
    assert.equal(
      checkUsageLimit({ labels: { kind: "batch" } }, "k", { labelKey: "kind", labelValue: "batch" }).length,
      1,
    );
    assert.equal(
      runResource(usageLimitForLabelledKeys, keyplane.ApiKey, { labels: { purpose: "ci" } }).length,
      1,
      "defaults from configSchema",
    );
  });
});
