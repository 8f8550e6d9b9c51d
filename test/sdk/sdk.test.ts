import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesSecretData } from "../../sdk/kubernetes";

const TOKEN = "sdk-test-token-do-not-serialize";
const registered: { type: string; name: string; inputs: any }[] = [];

describe("SDK classes under Pulumi mocks", () => {
  let sdk: typeof import("../../sdk");
  before(async () => {
    process.env.KEYPLANE_TOKEN = TOKEN;
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          return {
            id: `${args.name}-id`,
            state: { ...args.inputs, secret: args.type.endsWith("ApiKey") ? "kp_mock" : undefined },
          };
        },
        call: () => ({}),
      },
      "proj",
      "stack",
      false,
    );
    sdk = await import("../../sdk");
  });
  after(() => delete process.env.KEYPLANE_TOKEN);

  it("uses the documented type tokens and a small credential-free serialized provider", async () => {
    const p = new sdk.Project("p", {});
    const d = new sdk.Deployment("d", { project: p.id, model: "m" });
    const k = new sdk.ApiKey("k", { project: p.id });
    new sdk.DeploymentBinding("b", { project: p.id, apiKey: k.keyId, deployment: d.id });
    new sdk.Secret("s", { project: p.id, useCase: "huggingface", value: { token: "hf_SDKSECRET" } });
    await new Promise((r) => setTimeout(r, 200));
    const types = registered.map((r) => r.type);
    for (const kind of ["Project", "Deployment", "ApiKey", "DeploymentBinding", "Secret"]) {
      assert.ok(types.includes(`pulumi-nodejs:dynamic/keyplane:${kind}`), kind);
    }
    assert.equal(sdk.ApiKey.__pulumiType, "pulumi-nodejs:dynamic/keyplane:ApiKey");
    for (const r of registered) {
      const serialized: string = r.inputs.__provider;
      assert.equal(typeof serialized, "string");
      assert.ok(serialized.length < 4096, `${r.type}: ${serialized.length} bytes`);
      assert.ok(!serialized.includes(TOKEN), "the token is not in the serialized provider");
      assert.ok(serialized.includes("keyplane/provider/resources/"), "loads the implementation by name");
    }
  });

  it("sends secret values as secret inputs and keeps keyId equal to the id", async () => {
    const p = new sdk.Project("p2", {});
    const k = new sdk.ApiKey("k2", { project: p.id });
    new sdk.Secret("s2", { project: p.id, useCase: "generic", value: { data: { A: "b" } } });
    // The engine encrypts these in state; the end-to-end suite greps the state files for them.
    const sec = await new Promise<any>((r) => setTimeout(() => r(registered.find((x) => x.name === "s2")), 200));
    // Pulumi's wire marker for a secret value.
    assert.equal(sec.inputs.value["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.deepEqual(sec.inputs.value.value, { data: { A: "b" } });
    const [id, keyId] = await new Promise<string[]>((r) => pulumi.all([k.id, k.keyId]).apply((v) => r(v as string[])));
    assert.equal(keyId, id);
  });

  it("maps secret values to Kubernetes secret types and conventional keys", () => {
    assert.deepEqual(kubernetesSecretData("huggingface", { token: "t" }), {
      type: "Opaque",
      stringData: { HF_TOKEN: "t" },
    });
    assert.deepEqual(kubernetesSecretData("s3", { accessKeyId: "a", secretAccessKey: "b", region: "r" }).stringData, {
      AWS_ACCESS_KEY_ID: "a",
      AWS_SECRET_ACCESS_KEY: "b",
      AWS_DEFAULT_REGION: "r",
    });
    const pull = kubernetesSecretData("image-pull", { registry: "ghcr.io", username: "u", password: "p" });
    assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
    assert.equal(
      JSON.parse(pull.stringData[".dockerconfigjson"]).auths["ghcr.io"].auth,
      Buffer.from("u:p").toString("base64"),
    );
  });
});
