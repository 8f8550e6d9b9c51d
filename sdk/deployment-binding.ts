import * as pulumi from "@pulumi/pulumi";
import type { BindingInputs } from "../provider/inputs";
import type { ResourceArgs } from "./args";
import { dynamicArgs, typeToken } from "./shim";

/** A DeploymentBinding's arguments: the provider's inputs (BindingInputs), each a Pulumi input. */
export type DeploymentBindingArgs = ResourceArgs<typeof BindingInputs>;

/** Lets a key with deploymentAccess "bound" call one deployment. Its id is `keyId/deploymentId`. */
export class DeploymentBinding extends pulumi.dynamic.Resource {
  static readonly __pulumiType = typeToken("DeploymentBinding");
  declare readonly project: pulumi.Output<string>;
  declare readonly apiKey: pulumi.Output<string>;
  declare readonly deployment: pulumi.Output<string>;

  constructor(name: string, args: DeploymentBindingArgs, opts?: pulumi.CustomResourceOptions) {
    super(...dynamicArgs("binding", "DeploymentBinding", name, { ...args, createdAt: undefined }, opts));
  }
}
