import * as pulumi from "@pulumi/pulumi";
import { dynamicArgs } from "./shim";

export type SecretUseCase = "huggingface" | "s3" | "image-pull" | "generic";

/** The value's shape by use case. */
export type SecretValue =
  | { token: string }
  | { accessKeyId: string; secretAccessKey: string; region?: string; endpoint?: string }
  | { dockerConfigJson: string }
  | { registry: string; username: string; password: string }
  | { data: Record<string, string> };

type Inputs<T> = { [K in keyof T]: T[K] extends Record<string, string> ? pulumi.Input<Record<string, pulumi.Input<string>>> : pulumi.Input<T[K]> };
/** SecretValue whose fields may be Pulumi inputs (e.g. `config.requireSecret("hfToken")`). */
export type SecretValueInput =
  | Inputs<{ token: string }>
  | Inputs<{ accessKeyId: string; secretAccessKey: string; region?: string; endpoint?: string }>
  | Inputs<{ dockerConfigJson: string }>
  | Inputs<{ registry: string; username: string; password: string }>
  | Inputs<{ data: Record<string, string> }>;

export interface SecretArgs {
  /** The project's id. Changing it replaces the secret. */
  project: pulumi.Input<string>;
  /** 2-253 characters of a-z, 0-9 and '-', starting with a letter. Defaults to the resource name. Replaces. */
  name?: pulumi.Input<string>;
  /** What the value is for; fixes its shape. Replaces. */
  useCase: pulumi.Input<SecretUseCase>;
  /**
   * huggingface `{token}`; s3 `{accessKeyId, secretAccessKey, region?, endpoint?}`; image-pull
   * `{dockerConfigJson}` or `{registry, username, password}`; generic `{data: {...}}`.
   * Stored encrypted by the server and never returned. A new value is an in-place update (a new version).
   */
  value: pulumi.Input<SecretValueInput>;
  /**
   * The upstream origins the gateway may send this value to as a Deployment's `upstreamSecret`
   * (e.g. `["https://api-inference.huggingface.co", "http://vllm.models.svc:8000"]`; `"*"`: any origin
   * the server's egress policy allows). Unset or empty: nowhere. Set with the value: a change is a
   * new version, as a new value is. A Deployment may name the secret only while its `upstreamUrl`'s
   * origin is listed.
   */
  allowedUpstreams?: pulumi.Input<pulumi.Input<string>[]>;
  /** Free text. Replaces (the server keeps it with the first version). */
  description?: pulumi.Input<string>;
}

/** A secret for model deployments (tokens, storage credentials, registry pulls). */
export class Secret extends pulumi.dynamic.Resource {
  static readonly __pulumiType = "pulumi-nodejs:dynamic/keyplane:Secret";
  declare readonly name: pulumi.Output<string>;
  declare readonly useCase: pulumi.Output<SecretUseCase>;
  declare readonly allowedUpstreams: pulumi.Output<string[] | undefined>;
  /** Increments with each new value. */
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: SecretArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ...dynamicArgs(
        "secret",
        Secret.__pulumiType,
        name,
        { ...args, name: args.name ?? name, value: pulumi.secret(args.value), version: undefined, createdAt: undefined },
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "value"] },
      ),
      "keyplane",
      "Secret",
    );
  }
}
