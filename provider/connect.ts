import { createHash } from "node:crypto";
import { KeyplaneClient } from "./client";
import { resolveConnection } from "./config";

// One client (and its keep-alive connections) per endpoint and credential for the life of
// the provider process: a stack of hundreds of keys makes hundreds of calls.
const clients = new Map<string, KeyplaneClient>();

/** A client for a provider call, from the inputs' forwarded stack config or the environment. */
export function clientFor(props: { __connection?: { endpoint?: string; token?: string } } | undefined): KeyplaneClient {
  const connection = resolveConnection(props?.__connection);
  const key = `${connection.endpoint}\n${createHash("sha256").update(connection.token).digest("hex")}`;
  let client = clients.get(key);
  if (!client) {
    client = new KeyplaneClient(connection);
    clients.set(key, client);
  }
  return client;
}

/** Props without the forwarded connection, for request bodies. */
export function withoutConnection<T extends Record<string, unknown>>(props: T): Omit<T, "__connection"> {
  const { __connection: _c, ...rest } = props;
  return rest;
}
