import * as pulumi from "@pulumi/pulumi";
import { dynamicArgs } from "./shim";

export interface DeploymentArgs {
  /** The project's id (`project.id`). Changing it replaces the deployment. */
  project: pulumi.Input<string>;
  /** Deployment slug, unique in the project; gateway callers send it as `model`. Defaults to the resource name. Changing it replaces. */
  name?: pulumi.Input<string>;
  /** The model served, e.g. "meta-llama/Llama-3-8B". Updated in place. */
  model: pulumi.Input<string>;
  /** "running" (default) or "stopped"; a stopped deployment answers 403 deployment_not_running. */
  status?: pulumi.Input<"running" | "stopped">;
  /** Base URL of an OpenAI-compatible server (http/https, e.g. "http://vllm:8000/v1"): `/v1/<route>` goes to `<upstreamUrl>/<route>`. Unset: the reference echo model answers. */
  upstreamUrl?: pulumi.Input<string>;
  /**
   * A `keyplane.Secret`'s id (`secret.id`) in the same project whose token the gateway sends upstream as
   * `Authorization: Bearer …`: a huggingface secret's `token`, or a generic secret's `data.token`. Callers never hold it.
   * The secret's `allowedUpstreams` must list `upstreamUrl`'s origin, or the server refuses the deployment (naming `upstreamUrl`).
   */
  upstreamSecret?: pulumi.Input<string>;
}

/** A model deployment that keys can be bound to. */
export class Deployment extends pulumi.dynamic.Resource {
  static readonly __pulumiType = "pulumi-nodejs:dynamic/keyplane:Deployment";
  declare readonly project: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly model: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    super(...dynamicArgs("deployment", Deployment.__pulumiType, name, { ...args, name: args.name ?? name, createdAt: undefined }, opts), "keyplane", "Deployment");
  }
}
