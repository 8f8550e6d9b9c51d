import * as pulumi from "@pulumi/pulumi";
import * as keyplane from "keyplane";

const config = new pulumi.Config();

const project = new keyplane.Project("demo", { description: "keyplane quickstart" });

const chat = new keyplane.Deployment("chat", { project: project.id, model: "meta-llama/Llama-3.1-8B-Instruct" });

// Changing `rotation` (pulumi config set rotation 2) rotates the key with no gap.
const appKey = new keyplane.ApiKey("app-key", {
  project: project.id,
  ttl: "30d",
  labels: { team: "search", env: pulumi.getStack() },
  rotationTrigger: config.get("rotation") ?? "1",
});

new keyplane.DeploymentBinding("app-key-chat", { project: project.id, apiKey: appKey.keyId, deployment: chat.id });

new keyplane.Secret("hf-token", {
  project: project.id,
  useCase: "huggingface",
  value: { token: config.getSecret("hfToken") ?? pulumi.secret("hf_demo_token_not_real") },
  // The only origin a deployment may send this token to (as its upstreamSecret).
  allowedUpstreams: ["https://api-inference.huggingface.co"],
});

export const projectId = project.id;
export const model = chat.name;
export const keyId = appKey.keyId;
export const keyTruncated = appKey.truncated;
export const keySecret = appKey.secret;
export const keyExpiresAt = appKey.expiresAt;
