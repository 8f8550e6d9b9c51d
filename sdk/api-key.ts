import * as pulumi from "@pulumi/pulumi";
import { dynamicArgs } from "./shim";

export interface ApiKeyArgs {
  /** The project's id (`project.id`). Changing it replaces the key. */
  project: pulumi.Input<string>;
  /** Display name (not unique). Defaults to the resource name. Updated in place. */
  name?: pulumi.Input<string>;
  /** Free text. Updated in place. */
  description?: pulumi.Input<string>;
  /** String labels for workload and cost attribution, e.g. `{ team: "search", purpose: "ci" }`. Updated in place. */
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** "inference" (default): call deployments. "project": also manage this project. Changing it replaces the key. */
  scope?: pulumi.Input<"inference" | "project">;
  /** "bound" (default): only deployments bound with a DeploymentBinding (none bound: no access). "all": every deployment of the project. Replaces. */
  deploymentAccess?: pulumi.Input<"bound" | "all">;
  /** Lifetime from creation, e.g. "24h", "30d", "1h30m"; "0" never expires. Not with expiresAt. Changing it moves the expiry in place. */
  ttl?: pulumi.Input<string>;
  /** Absolute expiry, ISO 8601. Not with ttl. Updated in place. */
  expiresAt?: pulumi.Input<string>;
  /** Whether the key may be renewed (default false). Replaces. */
  renewable?: pulumi.Input<boolean>;
  /** Renewal never passes creation + this duration, e.g. "90d". Replaces. */
  explicitMaxTtl?: pulumi.Input<string>;
  /** Gateway calls the key may make; 0 (default) is unlimited. Replaces. */
  numUses?: pulumi.Input<number>;
  /** With renewable: when the key is this close to expiry, `pulumi up` renews it in place (or replaces it at its explicitMaxTtl). */
  renewBefore?: pulumi.Input<string>;
  /** Any string; changing it rotates the key: a new key is created before the old one is revoked. */
  rotationTrigger?: pulumi.Input<string>;
  /** false: the gateway refuses the key (401 disabled_key) until it is true again. Default true. Updated in place. */
  enabled?: pulumi.Input<boolean>;
  /** At most `limit` gateway calls per `window` ("1s" to "24h"), e.g. `{ limit: 600, window: "1m" }`; more get 429 rate_limited. Updated in place. */
  rateLimit?: pulumi.Input<{ limit: pulumi.Input<number>; window: pulumi.Input<string> }>;
  /** IPv4/IPv6 CIDRs the key may be used from, e.g. `["10.0.0.0/8"]`; others get 403 ip_not_allowed. Empty or unset: anywhere. Updated in place. */
  allowedCidrs?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * When the key is replaced (rotation) or destroyed, it keeps working this long (e.g. "1h"), then
   * expires, so consumers outside the program can switch over. At most the key's remaining lifetime.
   * Updated in place.
   */
  rotationGracePeriod?: pulumi.Input<string>;
  /**
   * Take over an existing key (made in the console or by the API) instead of creating one:
   * the resource then manages its name, labels, lifetime and bindings, and destroy revokes it.
   * The key's secret was shown once to whoever made it, so this resource's `secret` is empty.
   * (Pulumi's `import` option cannot work for dynamic resources.) Its scope, deploymentAccess,
   * numUses, renewable and explicitMaxTtl must match the program's.
   */
  adoptKeyId?: pulumi.Input<string>;
}

/** An API key for the gateway. Its `secret` is a Pulumi secret output, shown by the server only once. */
export class ApiKey extends pulumi.dynamic.Resource {
  static readonly __pulumiType = "pulumi-nodejs:dynamic/keyplane:ApiKey";
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
        ApiKey.__pulumiType,
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
      "keyplane",
      "ApiKey",
    );
    // The server id never changes in place; taking it from `id` keeps it known while an
    // update is previewed, so bindings that use it are not shown as replaced.
    (this as { keyId: pulumi.Output<string> }).keyId = this.id;
  }
}
