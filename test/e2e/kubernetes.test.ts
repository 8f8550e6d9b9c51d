import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { newStack, REPO_ROOT, stateFiles } from "../../harness/pulumi";
import { linkPackedKeyplane } from "../../scripts/packed-install";
import { type ControlPlane, requireKubernetes, startControlPlane } from "../helpers/kubernetes";
import { requirePulumi } from "../helpers/pulumi";
import { startTestServer, type TestServer } from "../helpers/server";

const ROLLOUT = "keyplane.dev/rollout-digest";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const unb64 = (s: string) => Buffer.from(s, "base64").toString("utf8");

describe("examples/kubernetes against a real Kubernetes API server", function () {
  this.timeout(900_000);
  let cluster: ControlPlane;
  let server: TestServer;
  let stack: Stack;
  let workDir: string;
  const secrets = {
    serverMasterKey: randomBytes(32).toString("hex"),
    serverAdminToken: `kp-admin-${randomBytes(16).toString("hex")}`,
    databaseUrl: `postgres://keyplane:pgpw${randomBytes(12).toString("hex")}@postgres.keyplane.svc:5432/keyplane`,
    hfToken: `hf_${randomBytes(16).toString("hex")}`,
    registryPassword: `regpw${randomBytes(12).toString("hex")}`,
  };
  const keysSeen: string[] = [];
  let k8sVersion: string;
  let binPath: string;

  const get = async (path: string) => {
    const r = await cluster.api.get(path);
    assert.equal(r.status, 200, `GET ${path}: ${r.status} ${JSON.stringify(r.data)}`);
    return r.data;
  };
  const secretData = async (ns: string, name: string) => {
    const s = await get(`/api/v1/namespaces/${ns}/secrets/${name}`);
    return {
      type: s.type as string,
      data: Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, unb64(v)])),
    };
  };
  const models = (key: string) => server.http.get("/v1/models", { headers: { authorization: `Bearer ${key}` } });
  const clientReplicaSets = async () =>
    (
      (await get("/apis/apps/v1/namespaces/inference/replicasets?labelSelector=app%3Dchat-client")).items as any[]
    ).filter((rs) =>
      rs.metadata.ownerReferences?.some((o: any) => o.kind === "Deployment" && o.name === "chat-client"),
    );
  const eventually = async <T>(what: string, probe: () => Promise<T | undefined>): Promise<T> => {
    for (let i = 0; i < 300; i++) {
      const v = await probe();
      if (v !== undefined) return v;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}\n${cluster.logs().slice(-4000)}`);
  };
  /** Every workload object's JSON (Deployments, ReplicaSets, Pods) in the example's namespaces: pod specs and templates. */
  const podSpecs = async () => {
    let out = "";
    for (const ns of ["keyplane", "inference"]) {
      for (const path of [
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        `/apis/apps/v1/namespaces/${ns}/replicasets`,
        `/api/v1/namespaces/${ns}/pods`,
      ]) {
        out += JSON.stringify(await get(path));
      }
    }
    return out;
  };
  const assertNoneInClear = (where: string, text: string) => {
    for (const value of [...Object.values(secrets), ...keysSeen, `puller:${secrets.registryPassword}`]) {
      assert.ok(!text.includes(value), `${where} holds a secret in clear (${value.slice(0, 6)}…)`);
      assert.ok(!text.includes(b64(value)), `${where} holds a secret in base64 (${value.slice(0, 6)}…)`);
    }
  };

  before(async function () {
    const pulumiBin = requirePulumi(this);
    const kubeBin = requireKubernetes(this);
    cluster = await startControlPlane(kubeBin);
    server = await startTestServer("sqlite");
    workDir = join(mkdtempSync(join(tmpdir(), "keyplane-e2e-k8s-")), "kubernetes");
    cpSync(join(REPO_ROOT, "examples/kubernetes"), workDir, {
      recursive: true,
      filter: (src) => !src.includes("node_modules"),
    });
    k8sVersion = JSON.parse(
      readFileSync(join(REPO_ROOT, "node_modules/@pulumi/kubernetes/package.json"), "utf8"),
    ).version;
    linkPackedKeyplane(workDir, { "@pulumi/kubernetes": k8sVersion });
    // kubeBin holds pulumi-resource-kubernetes: the engine takes the plugin from PATH.
    binPath = `${kubeBin}:${pulumiBin}`;
    stack = await newStack(binPath, workDir, {
      KUBECONFIG: cluster.kubeconfig,
      KEYPLANE_ENDPOINT: server.url,
      KEYPLANE_TOKEN: server.adminToken,
    });
    await stack.setAllConfig({
      skipAwait: { value: "true" },
      registryUsername: { value: "puller" },
      rotationGracePeriod: { value: "2m" },
      // databaseUrl comes once the preview without it has been refused.
      ...Object.fromEntries(
        Object.entries(secrets).flatMap(([k, v]) => (k === "databaseUrl" ? [] : [[k, { value: v, secret: true }]])),
      ),
    });
  });
  after(async () => {
    await server?.close();
    await cluster?.stop();
  });

  it("refuses at preview, naming the field: replicas > 1 on SQLite, a bad namespace", async () => {
    await stack.setConfig("replicas", { value: "3" });
    await assert.rejects(stack.preview(), (e: Error) => {
      assert.match(e.message, /replicas: 3 replicas need databaseUrl \(PostgreSQL\)/);
      return true;
    });
    await stack.setConfig("replicas", { value: "1" });
    // The example also makes the Namespace: whichever refuses first, keyplane's check or the API
    // server's dry run of the Namespace, names the field.
    await stack.setConfig("serverNamespace", { value: "Bad_Namespace" });
    await assert.rejects(stack.preview(), (e: Error) => {
      assert.match(
        e.message,
        /namespace: "Bad_Namespace" is not a valid Kubernetes namespace|metadata\.name: Invalid value: "Bad_Namespace"/,
      );
      return true;
    });
    await stack.removeConfig("serverNamespace");
    // Where nothing else looks at the name first, keyplane's own check refuses it at preview.
    const dir = mkdtempSync(join(tmpdir(), "keyplane-e2e-k8s-names-"));
    writeFileSync(
      join(dir, "Pulumi.yaml"),
      "name: k8s-names\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n",
    );
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "k8s-names", main: "index.js" }));
    writeFileSync(
      join(dir, "index.js"),
      `const keyplane = require("keyplane");
const { apiKeySecret } = require("keyplane/kubernetes");
const project = new keyplane.Project("p", {});
apiKeySecret(new keyplane.ApiKey("k", { project: project.id }), { namespace: "Apps.Prod" });`,
    );
    linkPackedKeyplane(dir, { "@pulumi/kubernetes": k8sVersion });
    const names = await newStack(binPath, dir, {
      KUBECONFIG: cluster.kubeconfig,
      KEYPLANE_ENDPOINT: server.url,
      KEYPLANE_TOKEN: server.adminToken,
    });
    await assert.rejects(names.preview(), (e: Error) => {
      assert.match(e.message, /namespace: "Apps\.Prod" is not a valid Kubernetes namespace/);
      return true;
    });
    await stack.setConfig("databaseUrl", { value: secrets.databaseUrl, secret: true });
    await stack.removeConfig("replicas");
  });

  it("up creates every object, with secrets referenced, never inlined", async () => {
    const up = await stack.up();
    assert.equal(up.summary.result, "succeeded");

    const pull = await secretData("inference", "registry-pull");
    assert.equal(pull.type, "kubernetes.io/dockerconfigjson");
    assert.equal(
      JSON.parse(pull.data[".dockerconfigjson"]).auths["registry.example.com"].password,
      secrets.registryPassword,
    );
    assert.deepEqual(await secretData("inference", "hf-token"), {
      type: "Opaque",
      data: { HF_TOKEN: secrets.hfToken },
    });

    const llama = await get("/apis/apps/v1/namespaces/inference/deployments/llama");
    const pod = llama.spec.template.spec;
    assert.deepEqual(pod.imagePullSecrets, [{ name: "registry-pull" }]);
    assert.deepEqual(pod.containers[0].env, [
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "HF_TOKEN" } } },
    ]);
    assert.match(llama.spec.template.metadata.annotations[ROLLOUT], /^[0-9a-f]{16}$/);

    const kp = await get("/apis/apps/v1/namespaces/keyplane/deployments/keyplane");
    assert.equal(kp.spec.replicas, 2);
    const c = kp.spec.template.spec.containers[0];
    assert.equal(c.readinessProbe.httpGet.path, "/readyz");
    assert.equal(c.livenessProbe.httpGet.path, "/healthz");
    assert.equal(kp.spec.template.spec.securityContext.runAsNonRoot, true);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    assert.ok(c.resources.requests.cpu && c.resources.requests.memory);
    const env = Object.fromEntries((c.env as any[]).map((e) => [e.name, e]));
    for (const [name, key] of [
      ["KEYPLANE_MASTER_KEY", "masterKey"],
      ["KEYPLANE_ADMIN_TOKEN", "adminToken"],
      ["KEYPLANE_DATABASE_URL", "databaseUrl"],
    ]) {
      assert.deepEqual(
        env[name],
        { name, valueFrom: { secretKeyRef: { name: "keyplane-server-credentials", key } } },
        name,
      );
    }
    assert.deepEqual((await secretData("keyplane", "keyplane-server-credentials")).data, {
      masterKey: secrets.serverMasterKey,
      adminToken: secrets.serverAdminToken,
      databaseUrl: secrets.databaseUrl,
    });
    assert.deepEqual(
      (await get("/api/v1/namespaces/keyplane/services/keyplane")).spec.ports.map((p: any) => p.port),
      [8420],
    );
    assert.equal(
      (await get("/apis/policy/v1/namespaces/keyplane/poddisruptionbudgets/keyplane")).spec.maxUnavailable,
      1,
    );
    assert.equal((await stack.outputs()).serverEndpoint.value, "http://keyplane.keyplane.svc.cluster.local:8420");

    const { data } = await secretData("inference", "chat-client-key");
    keysSeen.push(data.OPENAI_API_KEY);
    const answer = await models(data.OPENAI_API_KEY);
    assert.equal(answer.status, 200, JSON.stringify(answer.data));
    assert.deepEqual(
      answer.data.data.map((m: any) => m.id),
      ["llama"],
    );
    const client = await get("/apis/apps/v1/namespaces/inference/deployments/chat-client");
    assert.deepEqual(client.spec.template.spec.containers[0].envFrom, [{ secretRef: { name: "chat-client-key" } }]);
    await eventually("the client's first ReplicaSet", async () =>
      (await clientReplicaSets()).length === 1 ? true : undefined,
    );
  });

  it("rotation: the key Secret holds the new key, the pods roll, the old key lasts rotationGracePeriod", async () => {
    const [oldKey] = keysSeen;
    const client = await get("/apis/apps/v1/namespaces/inference/deployments/chat-client");
    const before = client.spec.template.metadata.annotations[ROLLOUT];
    await stack.setConfig("rotation", { value: "2" });
    const up = await stack.up();
    assert.ok((up.summary.resourceChanges?.replace ?? 0) >= 1, JSON.stringify(up.summary.resourceChanges));

    const newKey = (await secretData("inference", "chat-client-key")).data.OPENAI_API_KEY;
    keysSeen.push(newKey);
    assert.notEqual(newKey, oldKey);
    assert.equal((await models(newKey)).status, 200);
    assert.equal((await models(oldKey)).status, 200, "the old key covers the rollout");

    const updated = await get("/apis/apps/v1/namespaces/inference/deployments/chat-client");
    assert.equal(
      updated.metadata.uid,
      client.metadata.uid,
      "the Deployment is updated in place (kubernetes:enableSecretMutable), not replaced",
    );
    const after = updated.spec.template.metadata.annotations[ROLLOUT];
    assert.match(after, /^[0-9a-f]{16}$/);
    assert.notEqual(after, before);
    let seen: any[] = [];
    const sets = await eventually("a second ReplicaSet from the controller manager", async () => {
      seen = await clientReplicaSets();
      return seen.length === 2 ? seen : undefined;
    }).catch(async (e) => {
      const dep = await get("/apis/apps/v1/namespaces/inference/deployments/chat-client");
      const rs = seen.map((r) => ({
        name: r.metadata.name,
        uid: r.metadata.uid,
        owner: r.metadata.ownerReferences,
        replicas: r.spec.replicas,
      }));
      throw new Error(
        `${JSON.stringify({ changes: up.summary.resourceChanges, uid: dep.metadata.uid, status: dep.status, rs })}\n${e.message}`,
      );
    });
    assert.deepEqual(
      sets.map((rs: any) => rs.spec.template.metadata.annotations[ROLLOUT]).sort(),
      [after, before].sort(),
    );

    server.clock.advance(2 * 60_000 + 1000);
    const expired = await models(oldKey);
    assert.equal(expired.status, 401);
    assert.equal(expired.data.error.code, "expired_key");
    assert.equal((await models(newKey)).status, 200);
  });

  it("a leaked key: reported, replaced by up --refresh, redelivered to its Secret, and the pods roll again", async () => {
    const leaked = keysSeen[keysSeen.length - 1];
    const before = (await get("/apis/apps/v1/namespaces/inference/deployments/chat-client")).spec.template.metadata
      .annotations[ROLLOUT];
    const report = await server.admin.post("/v1/leaks", [
      {
        token: leaked,
        type: "keyplane_api_key",
        url: "https://github.com/acme/chat/blob/main/.env",
        source: "content",
      },
    ]);
    assert.equal(report.status, 200, JSON.stringify(report.data));
    assert.equal(report.data[0].label, "true_positive");
    assert.equal((await models(leaked)).data.error.code, "leaked_key", "refused from the next call");

    const up = await stack.up({ refresh: true });
    assert.ok((up.summary.resourceChanges?.replace ?? 0) >= 1, JSON.stringify(up.summary.resourceChanges));
    const fresh = (await secretData("inference", "chat-client-key")).data.OPENAI_API_KEY;
    keysSeen.push(fresh);
    assert.ok(!keysSeen.slice(0, -1).includes(fresh), "a new key, not the leaked one again");
    assert.equal((await models(fresh)).status, 200);
    assert.equal((await models(leaked)).data.error.code, "leaked_key", "no grace for a leaked key");
    const after = (await get("/apis/apps/v1/namespaces/inference/deployments/chat-client")).spec.template.metadata
      .annotations[ROLLOUT];
    assert.notEqual(after, before, "the pod template's digest changed");
    await eventually("a third ReplicaSet for the redelivered key", async () =>
      (await clientReplicaSets()).length === 3 ? true : undefined,
    );
  });

  it("no key, secret value or token in clear in the state or in any pod spec", async () => {
    assert.equal(keysSeen.length, 3);
    assertNoneInClear("the Pulumi state", stateFiles(join(workDir, ".state")));
    const pods = await get("/api/v1/namespaces/inference/pods");
    assert.ok(pods.items.length >= 2, "the controller manager made the client's pods (Pending: no kubelet)");
    assertNoneInClear("the pod specs", await podSpecs());
  });

  it("destroy leaves no object in the namespaces it made", async () => {
    const down = await stack.destroy();
    assert.equal(down.summary.result, "succeeded");
    for (const ns of ["keyplane", "inference"]) {
      assert.equal((await cluster.api.get(`/api/v1/namespaces/${ns}`)).status, 404, ns);
      for (const path of [
        `/api/v1/namespaces/${ns}/secrets`,
        `/apis/apps/v1/namespaces/${ns}/deployments`,
        `/api/v1/namespaces/${ns}/services`,
      ]) {
        assert.deepEqual((await get(path)).items, [], path);
      }
    }
    assert.deepEqual((await server.admin.get("/v1/projects")).data.items, []);
  });
});
