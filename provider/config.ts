/** Where the provider finds the server and its credential, resolved at call time, never serialized. */
export interface ConnectionConfig {
  endpoint: string;
  token: string;
}

/** Stack config the SDK forwarded (keyplane:endpoint / keyplane:token), then the environment. */
export function resolveConnection(fromStack?: Partial<ConnectionConfig>, env: Record<string, string | undefined> = process.env): ConnectionConfig {
  const endpoint = fromStack?.endpoint || env.KEYPLANE_ENDPOINT;
  const token = fromStack?.token || env.KEYPLANE_TOKEN;
  const missing = [
    !endpoint && "the endpoint (stack config keyplane:endpoint or env KEYPLANE_ENDPOINT)",
    !token && "the token (stack config keyplane:token as a secret, or env KEYPLANE_TOKEN)",
  ].filter(Boolean);
  if (missing.length) throw new Error(`keyplane: set ${missing.join(" and ")}`);
  return { endpoint: endpoint!.replace(/\/+$/, ""), token: token! };
}
