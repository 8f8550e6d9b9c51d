import * as pulumi from "@pulumi/pulumi";

/**
 * Stack config `keyplane:endpoint` / `keyplane:token`, forwarded to the provider as
 * one secret input (encrypted in state, like any provider's config). Unset: the
 * provider reads KEYPLANE_ENDPOINT / KEYPLANE_TOKEN at call time instead.
 */
export function connectionInput(): pulumi.Input<{ endpoint?: string; token?: string }> | undefined {
  const config = new pulumi.Config("keyplane");
  const endpoint = config.get("endpoint");
  const token = config.getSecret("token");
  if (endpoint === undefined && token === undefined) return undefined;
  return pulumi.secret(pulumi.all([endpoint, token]).apply(([e, t]) => ({ endpoint: e, token: t })));
}
