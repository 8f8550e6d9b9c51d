import { parseDuration } from "@keyplane/api";

// Dynamic resources all run through one provider, so policies match on the type token
// and read the properties defensively: during preview some are not known yet.

export const TYPE = {
  ApiKey: "pulumi-nodejs:dynamic/keyplane:ApiKey",
  DeploymentBinding: "pulumi-nodejs:dynamic/keyplane:DeploymentBinding",
  Deployment: "pulumi-nodejs:dynamic/keyplane:Deployment",
  Secret: "pulumi-nodejs:dynamic/keyplane:Secret",
  Project: "pulumi-nodejs:dynamic/keyplane:Project",
} as const;

/** A string property, or undefined when it is absent or not known yet. */
export function str(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  return typeof v === "string" ? v : undefined;
}

/** Seconds of a duration setting, failing loudly on a bad one (a config error, not a violation). */
export function configSeconds(value: string, setting: string): number {
  const s = parseDuration(value);
  if (s === undefined) throw new Error(`policy config ${setting}: "${value}" is not a duration such as 90d or 12h`);
  return s;
}

export const keyName = (props: Record<string, unknown>, resourceName: string) => str(props, "name") ?? resourceName;

export { parseDuration };
