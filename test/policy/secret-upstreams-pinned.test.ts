import { strict as assert } from "node:assert";
import { checkSecretUpstreamsPinned, secretUpstreamsPinned } from "../../policy-pack/policies/secret-upstreams-pinned";

describe("policies as pure functions", () => {
  it("keyplane-secret-upstreams-pinned is mandatory and refuses a wildcard on secrets a deployment can send upstream", () => {
    assert.equal(secretUpstreamsPinned.enforcementLevel, "mandatory");
    assert.match(
      checkSecretUpstreamsPinned({ useCase: "huggingface", allowedUpstreams: ["*"] }, "hf")[0],
      /Secret hf may be sent to any upstream/,
    );
    assert.equal(
      checkSecretUpstreamsPinned({ useCase: "generic", allowedUpstreams: ["https://a.example", "*"] }, "g").length,
      1,
    );
    assert.deepEqual(
      checkSecretUpstreamsPinned(
        { useCase: "huggingface", allowedUpstreams: ["https://api-inference.huggingface.co"] },
        "hf",
      ),
      [],
    );
    assert.deepEqual(
      checkSecretUpstreamsPinned({ useCase: "huggingface" }, "hf"),
      [],
      "unset: sent nowhere, which is pinned",
    );
    assert.deepEqual(
      checkSecretUpstreamsPinned({ useCase: "s3", allowedUpstreams: ["*"] }, "s"),
      [],
      "never sent upstream",
    );
  });
});
