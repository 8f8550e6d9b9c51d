import * as pulumi from "@pulumi/pulumi";
import { dynamicArgs } from "./shim";

export interface ProjectArgs {
  /** Project slug: 2-63 characters of a-z, 0-9 and '-'. Defaults to the resource name. Changing it replaces the project. */
  name?: pulumi.Input<string>;
  /** Free text shown in the server's listings. Updated in place. */
  description?: pulumi.Input<string>;
}

/** A keyplane project: the boundary that keys, secrets and deployments live in. Destroy requires it to be empty. */
export class Project extends pulumi.dynamic.Resource {
  static readonly __pulumiType = "pulumi-nodejs:dynamic/keyplane:Project";
  declare readonly name: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(...dynamicArgs("project", Project.__pulumiType, name, { name: args.name ?? name, description: args.description, createdAt: undefined }, opts), "keyplane", "Project");
  }
}
