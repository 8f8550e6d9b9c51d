import * as pulumi from "@pulumi/pulumi";
import { dynamicArgs } from "./shim";

export interface DeploymentBindingArgs {
  /** The project's id; key and deployment must both belong to it. */
  project: pulumi.Input<string>;
  /** The key's id (`apiKey.keyId`). A rotated key gets a new binding before the old one goes. */
  apiKey: pulumi.Input<string>;
  /** The deployment's id (`deployment.id`). */
  deployment: pulumi.Input<string>;
}

/** Lets a key with deploymentAccess "bound" call one deployment. Its id is `keyId/deploymentId`. */
export class DeploymentBinding extends pulumi.dynamic.Resource {
  static readonly __pulumiType = "pulumi-nodejs:dynamic/keyplane:DeploymentBinding";
  declare readonly project: pulumi.Output<string>;
  declare readonly apiKey: pulumi.Output<string>;
  declare readonly deployment: pulumi.Output<string>;

  constructor(name: string, args: DeploymentBindingArgs, opts?: pulumi.CustomResourceOptions) {
    super(...dynamicArgs("binding", DeploymentBinding.__pulumiType, name, { ...args, createdAt: undefined }, opts), "keyplane", "DeploymentBinding");
  }
}
