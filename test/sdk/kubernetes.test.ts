import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT } from "../../scripts/packed-install";

const KEY_SECRET = "kp_sdkKubernetesTestSecretDoNotInline";
const registered: { type: string; name: string; inputs: any }[] = [];
const settle = () => new Promise((r) => setTimeout(r, 300));
const byName = (type: string, name: string) => {
  const found = registered.filter((r) => r.type === type && r.name === name);
  assert.ok(found.length > 0, `${type} ${name} registered`);
  return found[found.length - 1].inputs;
};
const resolved = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply((v) => r(v)));

describe("keyplane/kubernetes under Pulumi mocks", () => {
  let kube: typeof import("../../sdk/kubernetes");
  let sdk: typeof import("../../sdk");
  before(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, name: args.name, inputs: args.inputs });
          const secret = args.type.endsWith("ApiKey")
            ? `${KEY_SECRET}-${args.inputs.rotationTrigger ?? "1"}`
            : undefined;
          return {
            id: `${args.name}-id-${args.inputs.rotationTrigger ?? ""}`,
            state: { ...args.inputs, secret, version: args.inputs.version ?? 1 },
          };
        },
        call: () => ({}),
      },
      "proj",
      "stack",
      false,
    );
    kube = await import("../../sdk/kubernetes");
    sdk = await import("../../sdk");
  });

  it("KeyplaneServer: probes, non-root, read-only root, credentials only as secretKeyRefs, Service, PDB, endpoint", async () => {
    const server = new kube.KeyplaneServer("kp", {
      namespace: "keyplane",
      image: "registry.example.com/keyplane-server:0.1.0",
      replicas: 3,
      masterKey: { name: "creds", key: "masterKey" },
      adminToken: { name: "creds", key: "adminToken" },
      databaseUrl: { name: "creds", key: "databaseUrl" },
      redisUrl: { name: "creds", key: "redisUrl" },
      skipAwait: true,
    });
    assert.equal(await resolved(server.endpoint), "http://kp.keyplane.svc.cluster.local:8420");
    await settle();
    const dep = byName("kubernetes:apps/v1:Deployment", "kp");
    assert.equal(dep.spec.replicas, 3);
    assert.equal(dep.metadata.annotations["pulumi.com/skipAwait"], "true");
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.image, "registry.example.com/keyplane-server:0.1.0");
    assert.deepEqual([c.readinessProbe.httpGet.path, c.livenessProbe.httpGet.path], ["/readyz", "/healthz"]);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual(c.securityContext, {
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    assert.deepEqual(
      c.volumeMounts.map((m: any) => m.mountPath),
      ["/data", "/tmp"],
    );
    assert.deepEqual(
      pod.volumes.map((v: any) => Object.keys(v).sort()),
      [
        ["emptyDir", "name"],
        ["emptyDir", "name"],
      ],
    );
    assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "128Mi" } });
    for (const e of c.env) {
      assert.equal(e.value, undefined, `${e.name} is not inlined`);
      assert.equal(e.valueFrom.secretKeyRef.name, "creds");
    }
    assert.deepEqual(
      c.env.map((e: any) => e.name),
      ["KEYPLANE_MASTER_KEY", "KEYPLANE_ADMIN_TOKEN", "KEYPLANE_DATABASE_URL", "KEYPLANE_REDIS_URL"],
    );
    assert.deepEqual(byName("kubernetes:core/v1:Service", "kp").spec.ports, [
      { name: "http", port: 8420, targetPort: "http" },
    ]);
    assert.equal(byName("kubernetes:policy/v1:PodDisruptionBudget", "kp").spec.maxUnavailable, 1);
  });

  it("KeyplaneServer refuses bad arguments, naming the field", () => {
    const args = {
      namespace: "keyplane",
      image: "i",
      masterKey: { name: "c", key: "m" },
      adminToken: { name: "c", key: "a" },
    };
    assert.throws(
      () => new kube.KeyplaneServer("one", { ...args, replicas: 2 }),
      /replicas: 2 replicas need databaseUrl \(PostgreSQL\)/,
    );
    assert.throws(() => new kube.KeyplaneServer("two", { ...args, replicas: 0 }), /replicas: 0 is not a whole number/);
    assert.throws(
      () => new kube.KeyplaneServer("three", { ...args, namespace: "Not_A_Namespace" }),
      /namespace: "Not_A_Namespace" is not a valid Kubernetes namespace/,
    );
    assert.throws(() => new kube.KeyplaneServer("Four", args), /name: "Four" is not a valid Kubernetes Service name/);
    assert.throws(() => new kube.KeyplaneServer("five", { ...args, port: 70000 }), /port: 70000 is not a port number/);
  });

  it("apiKeySecret: the key as a Pulumi secret under envName; bad names refused", async () => {
    const key = new sdk.ApiKey("client", { project: "p" });
    const s = kube.apiKeySecret(key, { namespace: "apps", envName: "OPENAI_API_KEY" });
    await settle();
    const inputs = byName("kubernetes:core/v1:Secret", "openai-api-key");
    assert.deepEqual(
      [inputs.metadata.name, inputs.metadata.namespace, inputs.type],
      ["openai-api-key", "apps", "Opaque"],
    );
    // Pulumi's wire marker for a secret value: encrypted in state.
    assert.equal(inputs.stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    assert.deepEqual(inputs.stringData.value, { OPENAI_API_KEY: `${KEY_SECRET}-1` });
    assert.ok(s instanceof pulumi.CustomResource);
    assert.throws(
      () => kube.apiKeySecret(key, { namespace: "Apps!" }),
      /namespace: "Apps!" is not a valid Kubernetes namespace/,
    );
    assert.throws(
      () => kube.apiKeySecret(key, { namespace: "apps", envName: "1BAD" }),
      /envName: "1BAD" is not an environment variable name/,
    );
    assert.throws(
      () => kube.apiKeySecret(key, { namespace: "apps", name: "Bad_Name" }),
      /name: "Bad_Name" is not a valid Kubernetes object name/,
    );
  });

  it("rolloutAnnotations: changes with a rotated key or a new secret version, never holds a secret", async () => {
    const digest = async (...s: Parameters<typeof kube.rolloutAnnotations>) =>
      (await resolved(kube.rolloutAnnotations(...s)))[kube.ROLLOUT_ANNOTATION];
    const k1 = new sdk.ApiKey("roll", { project: "p", rotationTrigger: "1" });
    const k2 = new sdk.ApiKey("roll2", { project: "p", rotationTrigger: "2" });
    const hf = new sdk.Secret("hf", { project: "p", useCase: "huggingface", value: { token: "hf_value" } });
    const a = await digest(k1);
    assert.match(a, /^[0-9a-f]{16}$/);
    assert.equal(await digest(k1), a, "stable for the same key");
    assert.notEqual(await digest(k2), a, "a rotated key (new id) changes it");
    const withSecret = await digest(k1, hf);
    assert.notEqual(withSecret, a);
    const text = JSON.stringify(await resolved(kube.rolloutAnnotations(k1, k2, hf)));
    assert.ok(!text.includes(KEY_SECRET) && !text.includes("hf_value"));
  });

  it("the main entry never loads @pulumi/kubernetes", () => {
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        `require(${JSON.stringify(join(REPO_ROOT, "dist/sdk/index.js"))}); console.log(Object.keys(require.cache).filter((f) => f.includes("@pulumi/kubernetes")).length)`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(loaded.trim(), "0");
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
    assert.equal(manifest.exports["./kubernetes"].default, "./dist/sdk/kubernetes.js");
    assert.ok(existsSync(join(REPO_ROOT, manifest.exports["./kubernetes"].default)));
    assert.ok(existsSync(join(REPO_ROOT, manifest.exports["./kubernetes"].types)));
  });
});

describe("the server's Dockerfile", () => {
  it("copies only paths that exist after npm run build, and starts the built CLI", () => {
    const lines = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8").split("\n");
    const copies = lines.filter((l) => /^COPY\s/.test(l) && !l.includes("--from="));
    assert.ok(copies.length >= 5);
    for (const line of copies) {
      const sources = line.trim().split(/\s+/).slice(1, -1);
      for (const src of sources) assert.ok(existsSync(join(REPO_ROOT, src)), `${src} (in "${line}") exists`);
    }
    const entry = lines.find((l) => l.startsWith("ENTRYPOINT"))!;
    const cli = JSON.parse(entry.slice("ENTRYPOINT".length))[1];
    assert.ok(existsSync(join(REPO_ROOT, cli)), cli);
    assert.ok(existsSync(join(REPO_ROOT, "server/dist/console-ui")), "the console bundle is in server/dist");
    assert.match(lines.find((l) => l.startsWith("USER"))!, /^USER [1-9]\d*:[1-9]\d*$/, "runs as a non-root user");
  });
});
