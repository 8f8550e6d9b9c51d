import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import type { SecretInputs } from "../provider/inputs";
import type { PulumiInputs, ResourceArgs } from "./args";
import { dynamicArgs, typeToken } from "./shim";

/** What a secret's value is for; it fixes the value's shape. */
export type SecretUseCase = z.input<typeof SecretInputs>["useCase"];

/** The value's shape by use case. */
export type SecretValue = z.input<typeof SecretInputs>["value"];

/** SecretValue whose fields may be Pulumi inputs (e.g. `config.requireSecret("hfToken")`). */
export type SecretValueInput = PulumiInputs<SecretValue>;

/** A Secret's arguments: the provider's inputs (SecretInputs), each a Pulumi input; `name` defaults to the resource name. */
export type SecretArgs = ResourceArgs<typeof SecretInputs, "name">;

/** A secret for model deployments (tokens, storage credentials, registry pulls). */
export class Secret extends pulumi.dynamic.Resource {
  static readonly __pulumiType = typeToken("Secret");
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
        "Secret",
        name,
        {
          ...args,
          name: args.name ?? name,
          value: pulumi.secret(args.value),
          version: undefined,
          createdAt: undefined,
        },
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "value"] },
      ),
    );
  }
}
