import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { KeyplaneClient } from "./client";
import { resolveConnection } from "./config";

// The stack config of this provider process, from the engine's `configure` call (the engine
// passes dynamic providers the whole stack config). Kept here, never in a resource.
let stackConfig: { endpoint?: string; token?: string } = {};

export function configureFromStack(req: pulumi.dynamic.ConfigureRequest): void {
  stackConfig = { endpoint: req.config.get("keyplane:endpoint"), token: req.config.get("keyplane:token") };
}

// One client (and its keep-alive connections) per endpoint and credential for the life of
// the provider process: a stack of hundreds of keys makes hundreds of calls.
const clients = new Map<string, KeyplaneClient>();

/** A client for a provider call; `props` matter only for state written by releases that stored a connection. */
export function clientFor(props?: { __connection?: { endpoint?: string; token?: string } }): KeyplaneClient {
  const connection = resolveConnection(stackConfig, props?.__connection);
  const key = `${connection.endpoint}\n${connection.tokenSource}\n${createHash("sha256").update(connection.token).digest("hex")}`;
  let client = clients.get(key);
  if (!client) {
    client = new KeyplaneClient(connection);
    clients.set(key, client);
  }
  return client;
}
