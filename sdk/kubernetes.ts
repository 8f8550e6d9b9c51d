import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { SecretUseCase, SecretValue, SecretValueInput } from "./secret";

/** The Kubernetes form of a secret value: type and conventional keys (HF_TOKEN, AWS_ACCESS_KEY_ID, .dockerconfigjson). */
export function kubernetesSecretData(useCase: SecretUseCase, value: SecretValue): { type: string; stringData: Record<string, string> } {
  const v = value as Record<string, any>;
  switch (useCase) {
    case "huggingface":
      return { type: "Opaque", stringData: { HF_TOKEN: v.token } };
    case "s3":
      return {
        type: "Opaque",
        stringData: {
          AWS_ACCESS_KEY_ID: v.accessKeyId,
          AWS_SECRET_ACCESS_KEY: v.secretAccessKey,
          ...(v.region ? { AWS_DEFAULT_REGION: v.region } : {}),
          ...(v.endpoint ? { AWS_ENDPOINT_URL: v.endpoint } : {}),
        },
      };
    case "image-pull": {
      const json =
        v.dockerConfigJson ??
        JSON.stringify({
          auths: { [v.registry]: { username: v.username, password: v.password, auth: Buffer.from(`${v.username}:${v.password}`).toString("base64") } },
        });
      return { type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": json } };
    }
    case "generic":
      return { type: "Opaque", stringData: { ...v.data } };
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
export function kubernetesSecret(name: string, args: KubernetesSecretArgs, opts?: pulumi.CustomResourceOptions): k8s.core.v1.Secret {
  // Loaded here so programs that do not use Kubernetes need no Kubernetes plugin.
  const kubernetes: typeof k8s = require("@pulumi/kubernetes");
  const data = pulumi.all([args.useCase, args.value]).apply(([useCase, value]) => kubernetesSecretData(useCase, value as SecretValue));
  return new kubernetes.core.v1.Secret(
    name,
    {
      metadata: { name: args.name ?? name, namespace: args.namespace },
      type: data.apply((d) => d.type),
      stringData: pulumi.secret(data.apply((d) => d.stringData)),
    },
    opts,
  );
}
