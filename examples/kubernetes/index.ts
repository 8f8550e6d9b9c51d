import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as keyplane from "keyplane";
import { apiKeySecret, KeyplaneServer, kubernetesSecret, rolloutAnnotations } from "keyplane/kubernetes";

// The provider reaches keyplane-server through keyplane:endpoint / keyplane:token (or
// KEYPLANE_ENDPOINT / KEYPLANE_TOKEN), e.g. its Ingress or a `kubectl port-forward`. On a new
// cluster, bring the server up first (`pulumi up --target` on it, or keep it in its own stack).
const config = new pulumi.Config();
const serverNamespace = config.get("serverNamespace") ?? "keyplane";
const appNamespace = config.get("appNamespace") ?? "inference";
// Set where no node runs the pods yet (a bare control plane): `up` then does not wait for them.
const skipAwait = config.getBoolean("skipAwait") ?? false;
const awaitAnnotations = skipAwait ? { "pulumi.com/skipAwait": "true" } : undefined;

const namespaces = [serverNamespace, appNamespace].map(
  (name) => new k8s.core.v1.Namespace(name, { metadata: { name } }),
);

// keyplane-server: its credentials live in a Kubernetes Secret and reach the pods as secretKeyRefs.
const databaseUrl = config.getSecret("databaseUrl");
const redisUrl = config.getSecret("redisUrl");
const credentials = new k8s.core.v1.Secret(
  "keyplane-server-credentials",
  {
    metadata: { name: "keyplane-server-credentials", namespace: serverNamespace },
    stringData: {
      masterKey: config.requireSecret("serverMasterKey"),
      adminToken: config.requireSecret("serverAdminToken"),
      ...(databaseUrl ? { databaseUrl } : {}),
      ...(redisUrl ? { redisUrl } : {}),
    },
  },
  { dependsOn: namespaces },
);
const ref = (key: string) => ({ name: credentials.metadata.name, key });
const server = new KeyplaneServer(
  "keyplane",
  {
    namespace: serverNamespace,
    image: config.get("serverImage") ?? "registry.example.com/keyplane-server:0.1.0",
    replicas: config.getNumber("replicas") ?? 2,
    masterKey: ref("masterKey"),
    adminToken: ref("adminToken"),
    databaseUrl: databaseUrl ? ref("databaseUrl") : undefined,
    redisUrl: redisUrl ? ref("redisUrl") : undefined,
    skipAwait,
  },
  { dependsOn: namespaces },
);

// The model: a vLLM pod that pulls its image with the registry secret and reads HF_TOKEN.
const project = new keyplane.Project("inference", { description: "models served on Kubernetes" });
const hfValue = { token: config.requireSecret("hfToken") };
const hf = new keyplane.Secret("hf-token", { project: project.id, useCase: "huggingface", value: hfValue });
const pullValue = {
  registry: config.get("registry") ?? "registry.example.com",
  username: config.require("registryUsername"),
  password: config.requireSecret("registryPassword"),
};
const pull = new keyplane.Secret("registry-pull", { project: project.id, useCase: "image-pull", value: pullValue });
const hfK8s = kubernetesSecret(
  "hf-token",
  { useCase: "huggingface", value: hfValue, namespace: appNamespace },
  { dependsOn: namespaces },
);
const pullK8s = kubernetesSecret(
  "registry-pull",
  { useCase: "image-pull", value: pullValue, namespace: appNamespace },
  { dependsOn: namespaces },
);

const modelLabels = { app: "llama" };
new k8s.apps.v1.Deployment("llama", {
  metadata: { name: "llama", namespace: appNamespace, annotations: awaitAnnotations },
  spec: {
    replicas: 1,
    selector: { matchLabels: modelLabels },
    template: {
      // A new Hugging Face token or registry password (a new secret version) rolls the pods.
      metadata: { labels: modelLabels, annotations: rolloutAnnotations(hf, pull) },
      spec: {
        imagePullSecrets: [{ name: pullK8s.metadata.name }],
        containers: [
          {
            name: "vllm",
            image: config.get("modelImage") ?? "registry.example.com/vllm-openai:v0.6.3",
            args: ["--model", "meta-llama/Llama-3.1-8B-Instruct", "--port", "8000"],
            ports: [{ name: "http", containerPort: 8000 }],
            env: [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: hfK8s.metadata.name, key: "HF_TOKEN" } } }],
          },
        ],
      },
    },
  },
});
const modelService = new k8s.core.v1.Service(
  "llama",
  {
    metadata: { name: "llama", namespace: appNamespace, annotations: awaitAnnotations },
    spec: { selector: modelLabels, ports: [{ name: "http", port: 8000, targetPort: "http" }] },
  },
  { dependsOn: namespaces },
);
const model = new keyplane.Deployment("llama", {
  project: project.id,
  name: "llama",
  model: "meta-llama/Llama-3.1-8B-Instruct",
  upstreamUrl: pulumi.interpolate`http://${modelService.metadata.name}.${appNamespace}.svc.cluster.local:8000/v1`,
});

// The client: its key arrives through apiKeySecret. `pulumi config set rotation 2 && pulumi up`
// rotates it: the Secret gets the new key, the changed annotation rolls the pods, and the old key
// keeps working for rotationGracePeriod while they roll.
const key = new keyplane.ApiKey("chat-client", {
  project: project.id,
  ttl: "30d",
  labels: { app: "chat-client" },
  rotationTrigger: config.get("rotation") ?? "1",
  rotationGracePeriod: config.get("rotationGracePeriod") ?? "15m",
});
new keyplane.DeploymentBinding("chat-client-llama", { project: project.id, apiKey: key.keyId, deployment: model.id });
const keySecret = apiKeySecret(
  key,
  { namespace: appNamespace, name: "chat-client-key", envName: "OPENAI_API_KEY" },
  { dependsOn: namespaces },
);

const clientLabels = { app: "chat-client" };
new k8s.apps.v1.Deployment("chat-client", {
  metadata: { name: "chat-client", namespace: appNamespace, annotations: awaitAnnotations },
  spec: {
    replicas: 2,
    selector: { matchLabels: clientLabels },
    template: {
      metadata: { labels: clientLabels, annotations: rolloutAnnotations(key) },
      spec: {
        containers: [
          {
            name: "app",
            image: config.get("clientImage") ?? "registry.example.com/chat-client:1.0",
            envFrom: [{ secretRef: { name: keySecret.metadata.name } }],
            env: [
              { name: "OPENAI_BASE_URL", value: pulumi.interpolate`${server.endpoint}/v1` },
              { name: "OPENAI_MODEL", value: model.name },
            ],
          },
        ],
      },
    },
  },
});

export const serverEndpoint = server.endpoint;
export const keyId = key.keyId;
export const keySecretName = keySecret.metadata.name;
