import * as pulumi from "@pulumi/pulumi";
import type { ProjectInputs } from "../provider/inputs";
import type { ResourceArgs } from "./args";
import { dynamicArgs, typeToken } from "./shim";

/** A Project's arguments: the provider's inputs (ProjectInputs), each a Pulumi input; `name` defaults to the resource name. */
export type ProjectArgs = ResourceArgs<typeof ProjectInputs, "name">;

/** A keyplane project: the boundary that keys, secrets and deployments live in. Destroy requires it to be empty. */
export class Project extends pulumi.dynamic.Resource {
  static readonly __pulumiType = typeToken("Project");
  declare readonly name: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      ...dynamicArgs(
        "project",
        "Project",
        name,
        { name: args.name ?? name, description: args.description, createdAt: undefined },
        opts,
      ),
    );
  }
}
