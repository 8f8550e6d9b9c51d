/** Where the provider finds the server and its credential, resolved at call time, never stored in a resource. */
export interface ConnectionConfig {
  endpoint: string;
  token: string;
  /** Where the token came from, for error messages; never the token itself. */
  tokenSource: string;
}

type Partial = { endpoint?: string; token?: string };

const ENV = { endpoint: "KEYPLANE_ENDPOINT", token: "KEYPLANE_TOKEN" } as const;
const STACK = { endpoint: "keyplane:endpoint", token: "keyplane:token" } as const;

/**
 * The environment first (read at every call, so a rotated KEYPLANE_TOKEN applies at once),
 * then the stack config the engine handed to `configure`, then, for state written before
 * credentials moved to `configure`, the connection such a resource still carries.
 */
export function resolveConnection(
  stack: Partial,
  legacy: Partial | undefined,
  env: Record<string, string | undefined> = process.env,
): ConnectionConfig {
  const pick = (field: "endpoint" | "token") =>
    env[ENV[field]]
      ? { value: env[ENV[field]], source: `env ${ENV[field]}` }
      : stack[field]
        ? { value: stack[field], source: `stack config ${STACK[field]}` }
        : legacy?.[field]
          ? {
              value: legacy[field],
              source: "the connection stored in this resource's state by an earlier keyplane release",
            }
          : undefined;
  const endpoint = pick("endpoint");
  const token = pick("token");
  const missing = [
    !endpoint && `the endpoint (env ${ENV.endpoint} or stack config ${STACK.endpoint})`,
    !token && `the token (env ${ENV.token}, or stack config ${STACK.token} set with --secret)`,
  ].filter(Boolean);
  if (!endpoint || !token) throw new Error(`keyplane: set ${missing.join(" and ")}`);
  return { endpoint: endpoint.value!.replace(/\/+$/, ""), token: token.value!, tokenSource: token.source };
}
