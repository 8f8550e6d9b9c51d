import * as pulumi from "@pulumi/pulumi";
import type { ApiKeyInputs } from "../provider/inputs";
import type { ResourceArgs } from "./args";
import { dynamicArgs, typeToken } from "./shim";

/** An ApiKey's arguments: the provider's inputs (ApiKeyInputs), each a Pulumi input; `name` defaults to the resource name. */
export type ApiKeyArgs = ResourceArgs<typeof ApiKeyInputs, "name">;

/** An API key for the gateway. Its `secret` is a Pulumi secret output, shown by the server only once. */
export class ApiKey extends pulumi.dynamic.Resource {
  static readonly __pulumiType = typeToken("ApiKey");
  /** The key's id on the server. */
  declare readonly keyId: pulumi.Output<string>;
  /** The key itself (`kp_…`): a secret output; empty for an adopted key (adoptKeyId). */
  declare readonly secret: pulumi.Output<string>;
  /** Display form, `kp_••••••••` and the last 4 characters. */
  declare readonly truncated: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;
  /** Current expiry; null never expires. */
  declare readonly expiresAt: pulumi.Output<string | null>;
  declare readonly project: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** Reported leaked (POST /v1/leaks), as of the last refresh: the gateway refuses it, and the next `up` replaces it. */
  declare readonly leaked: pulumi.Output<boolean>;
  /** When it was first reported leaked; null: never. */
  declare readonly leakedAt: pulumi.Output<string | null>;

  constructor(name: string, args: ApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ...dynamicArgs(
        "api-key",
        "ApiKey",
        name,
        {
          ...args,
          name: args.name ?? name,
          keyId: undefined,
          secret: undefined,
          truncated: undefined,
          createdAt: undefined,
          expiresAt: args.expiresAt,
          leaked: undefined,
          leakedAt: undefined,
        },
        { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "secret"] },
      ),
    );
    // The server id never changes in place; taking it from `id` keeps it known while an
    // update is previewed, so bindings that use it are not shown as replaced.
    (this as { keyId: pulumi.Output<string> }).keyId = this.id;
  }
}
