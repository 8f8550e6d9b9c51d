import * as pulumi from "@pulumi/pulumi";
import type { DeploymentInputs } from "../provider/inputs";
import type { ResourceArgs } from "./args";
import { dynamicArgs, typeToken } from "./shim";

/** A Deployment's arguments: the provider's inputs (DeploymentInputs), each a Pulumi input; `name` defaults to the resource name. */
export type DeploymentArgs = ResourceArgs<typeof DeploymentInputs, "name">;

/** A model deployment that keys can be bound to. */
export class Deployment extends pulumi.dynamic.Resource {
  static readonly __pulumiType = typeToken("Deployment");
  declare readonly project: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly model: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: DeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ...dynamicArgs(
        "deployment",
        "Deployment",
        name,
        { ...args, name: args.name ?? name, createdAt: undefined },
        opts,
      ),
    );
  }
}
