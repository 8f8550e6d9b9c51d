import { KeyplaneClient } from "./client";
import { resolveConnection } from "./config";

/** A client for one provider call, from the inputs' forwarded stack config or the environment. */
export function clientFor(props: { __connection?: { endpoint?: string; token?: string } } | undefined): KeyplaneClient {
  return new KeyplaneClient(resolveConnection(props?.__connection));
}

/** Props without the forwarded connection, for request bodies. */
export function withoutConnection<T extends Record<string, unknown>>(props: T): Omit<T, "__connection"> {
  const { __connection: _c, ...rest } = props;
  return rest;
}
