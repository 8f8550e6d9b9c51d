import { strict as assert } from "node:assert";
import * as keyplane from "keyplane";
import { checkSecretUseCase, secretUseCase } from "../../policy-pack/policies/secret-use-case";
import { runResource } from "./fixture";

describe("policies as pure functions", () => {
  it("keyplane-secret-use-case is advisory and spots known shapes", () => {
    assert.equal(secretUseCase.enforcementLevel, "advisory");
    assert.match(
      checkSecretUseCase(
        { useCase: "generic", value: { data: { AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y" } } },
        "s",
      )[0],
      /useCase "s3"/,
    );
    assert.match(checkSecretUseCase({ useCase: "generic", value: { data: { HF_TOKEN: "x" } } }, "s")[0], /huggingface/);
    assert.deepEqual(checkSecretUseCase({ useCase: "generic", value: { data: { DB_URL: "x" } } }, "s"), []);
    assert.deepEqual(checkSecretUseCase({ useCase: "s3", value: {} }, "s"), []);
    assert.equal(
      runResource(secretUseCase, keyplane.Secret, {
        useCase: "generic",
        value: { data: { ".dockerconfigjson": "{}" } },
      }).length,
      1,
    );
  });
});
