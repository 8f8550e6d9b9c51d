import * as pulumi from "@pulumi/pulumi";
import * as keyplane from "keyplane";

const project = new keyplane.Project("rotation-demo", {});
const deployment = new keyplane.Deployment("embeddings", { project: project.id, model: "bge-large" });

// Renewal: a 7-day key, renewed by `pulumi up` once it is within 2 days of expiry,
// never past 90 days from creation; at that point up replaces it (create, then revoke).
// Rotation: the trigger changes every month, so the first `up` of a month rotates the key;
// the replaced key keeps working for an hour after that `up`, so workers configured outside
// this program can switch to the new one.
const month = new Date().toISOString().slice(0, 7);
const key = new keyplane.ApiKey("worker-key", {
  project: project.id,
  ttl: "7d",
  renewable: true,
  renewBefore: "2d",
  explicitMaxTtl: "90d",
  rotationTrigger: month,
  rotationGracePeriod: "1h",
  rateLimit: { limit: 600, window: "1m" },
});
new keyplane.DeploymentBinding("worker-key-embeddings", {
  project: project.id,
  apiKey: key.keyId,
  deployment: deployment.id,
});

export const keyTruncated = key.truncated;
export const keyExpiresAt = key.expiresAt;
export const workerKey = pulumi.secret(key.secret);
