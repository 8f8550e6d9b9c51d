import type { FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { Keyring } from "./crypto/keyring";
import { loadAdminToken, loadMasterKey } from "./crypto/local-credentials";
import { openStore, type Store } from "./store/database";

export { buildApp } from "./app";
export { openStore } from "./store/database";

export interface ServerOptions {
  port?: number;
  host?: string;
  dataDir: string;
  databaseUrl?: string;
  /** Defaults to process.env; tests pass their own. */
  env?: Record<string, string | undefined>;
  now?: () => number;
  logger?: boolean | Record<string, unknown>;
  /** Idle timeout of the gateway's upstream calls, in ms (default 60 s). */
  upstreamTimeoutMs?: number;
}

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  url: string;
  adminToken: string;
  adminTokenSource: string;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const master = loadMasterKey(options.dataDir, env.KEYPLANE_MASTER_KEY);
  const admin = loadAdminToken(options.dataDir, env.KEYPLANE_ADMIN_TOKEN);
  let log: ((err: Error) => void) | undefined;
  const store = await openStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, onPoolError: (err) => log?.(err) });
  const app = await buildApp({
    store,
    keyring: new Keyring(master.key),
    adminToken: admin.token,
    now: options.now,
    logger: options.logger,
    upstreamTimeoutMs: options.upstreamTimeoutMs,
    version: require("../package.json").version,
  });
  log = (err) => app.log.warn({ err: { message: err.message } }, "database connection dropped; the pool will reconnect");
  const address = await app.listen({ port: options.port ?? 8420, host: options.host ?? "127.0.0.1" });
  app.log.info({ store: store.dialect, location: store.location, masterKey: master.source, adminToken: admin.source }, "keyplane server ready");
  let closed = false;
  return {
    app,
    store,
    url: address.replace("[::1]", "127.0.0.1"),
    adminToken: admin.token,
    adminTokenSource: admin.source,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await store.close();
    },
  };
}
