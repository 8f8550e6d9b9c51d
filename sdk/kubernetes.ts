import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ApiKey } from "./api-key";
import { checkName } from "./kubernetes-names";
import type { Secret, SecretUseCase, SecretValue, SecretValueInput } from "./secret";

// `keyplane/kubernetes`: the package's second entry, for programs that deliver keys and
// secrets to a cluster. The main entry never loads @pulumi/kubernetes (an optional peer).

export { KeyplaneServer, type KeyplaneServerArgs, type SecretKeyRef } from "./keyplane-server";

/** The shapes of SecretValue that have `Field` (check verified that a value has its use case's shape). */
type ShapeWith<Field extends string> = Extract<SecretValue, Record<Field, unknown>>;

/** The Kubernetes form of a secret value: type and conventional keys (HF_TOKEN, AWS_ACCESS_KEY_ID, .dockerconfigjson). */
export function kubernetesSecretData(
  useCase: SecretUseCase,
  value: SecretValue,
): { type: string; stringData: Record<string, string> } {
  switch (useCase) {
    case "huggingface":
      return { type: "Opaque", stringData: { HF_TOKEN: (value as ShapeWith<"token">).token } };
    case "s3": {
      const v = value as ShapeWith<"accessKeyId">;
      return {
        type: "Opaque",
        stringData: {
          AWS_ACCESS_KEY_ID: v.accessKeyId,
          AWS_SECRET_ACCESS_KEY: v.secretAccessKey,
          ...(v.region ? { AWS_DEFAULT_REGION: v.region } : {}),
          ...(v.endpoint ? { AWS_ENDPOINT_URL: v.endpoint } : {}),
        },
      };
    }
    case "image-pull": {
      const v = value as ShapeWith<"dockerConfigJson"> | ShapeWith<"registry">;
      const json =
        "dockerConfigJson" in v
          ? v.dockerConfigJson
          : JSON.stringify({
              auths: {
                [v.registry]: {
                  username: v.username,
                  password: v.password,
                  auth: Buffer.from(`${v.username}:${v.password}`).toString("base64"),
                },
              },
            });
      return { type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": json } };
    }
    case "generic":
      return { type: "Opaque", stringData: { ...(value as ShapeWith<"data">).data } };
  }
}

export interface KubernetesSecretArgs {
  useCase: pulumi.Input<SecretUseCase>;
  value: pulumi.Input<SecretValueInput>;
  /** Kubernetes object name; defaults to the resource name. */
  name?: pulumi.Input<string>;
  namespace?: pulumi.Input<string>;
}

/** A `core.v1.Secret` with the same value as a keyplane Secret, for workloads that read it from the cluster. */
export function kubernetesSecret(
  name: string,
  args: KubernetesSecretArgs,
  opts?: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const data = pulumi
    .all([args.useCase, args.value])
    .apply(([useCase, value]) => kubernetesSecretData(useCase, value as SecretValue));
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: {
        name: checkName("name", "name", args.name ?? name),
        namespace: args.namespace === undefined ? undefined : checkName("namespace", "namespace", args.namespace),
      },
      type: data.apply((d) => d.type),
      stringData: pulumi.secret(data.apply((d) => d.stringData)),
    },
    opts,
  );
}

export interface ApiKeySecretArgs {
  /** Namespace of the workloads that use the key. */
  namespace: pulumi.Input<string>;
  /**
   * Kubernetes object name, also the Pulumi resource name. Defaults to `envName` in lower case with
   * '-' for '_' (`keyplane-api-key`): set it when a program delivers several keys under one envName.
   */
  name?: string;
  /** The data key holding the key, so `envFrom` makes it this variable. Default `KEYPLANE_API_KEY`. */
  envName?: string;
}

/**
 * An ApiKey's secret as an Opaque Kubernetes Secret with one entry, `envName`, for a workload's
 * `envFrom` or `secretKeyRef`. The value is a Pulumi secret (encrypted in state). When the key
 * rotates, the Secret is updated in place; `rolloutAnnotations(key)` on the workload's pod
 * template rolls its pods onto the new key while `rotationGracePeriod` keeps the old one valid.
 */
export function apiKeySecret(
  key: ApiKey,
  args: ApiKeySecretArgs,
  opts?: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  const envName = args.envName ?? "KEYPLANE_API_KEY";
  checkName("envName", "envName", envName);
  const name = args.name ?? envName.toLowerCase().replaceAll("_", "-");
  checkName("name", "name", name);
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: {
        name,
        namespace: checkName("namespace", "namespace", args.namespace),
        labels: { "app.kubernetes.io/managed-by": "keyplane" },
      },
      type: "Opaque",
      stringData: pulumi.secret(key.secret.apply((secret) => ({ [envName]: secret }))),
    },
    opts,
  );
}

/** The pod-template annotation that `rolloutAnnotations` sets. */
export const ROLLOUT_ANNOTATION = "keyplane.dev/rollout-digest";

/**
 * Pod-template annotations for a workload that uses these keys and secrets: a digest of each
 * key's id and each secret's id and version, never of a key or value. A rotated key (a new id)
 * or a secret's new version changes it, so Kubernetes rolls the workload's pods.
 */
export function rolloutAnnotations(...sources: (ApiKey | Secret)[]): pulumi.Output<Record<string, string>> {
  const parts = sources.map((s) =>
    "version" in s ? pulumi.interpolate`secret:${s.id}:${s.version}` : pulumi.interpolate`key:${s.keyId}`,
  );
  return pulumi.all(parts).apply(
    (p): Record<string, string> => ({
      [ROLLOUT_ANNOTATION]: createHash("sha256").update(p.join("\n")).digest("hex").slice(0, 16),
    }),
  );
}
