import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningServer, type ServerOptions, startServer } from "@keyplane/server";
import axios, { type AxiosInstance } from "axios";
import { freshPostgresDatabase } from "../../harness/postgres";
import { ADMIN_TOKEN } from "../../harness/spawn-server";
import { admin } from "./http";

export { ADMIN_TOKEN };

export type DialectName = "sqlite" | "postgres";
export const DIALECTS: DialectName[] = ["sqlite", "postgres"];

export interface TestServer extends RunningServer {
  dataDir: string;
  databaseUrl?: string;
  dump(): string;
  /** Advance the injected clock. */
  clock: { now: number; advance(ms: number): void };
  admin: AxiosInstance;
  http: AxiosInstance;
}

export interface TestServerOptions {
  logger?: boolean | Record<string, unknown>;
  /** Defaults to ADMIN_TOKEN. */
  adminToken?: string;
  upstreamTimeoutMs?: number;
  /** Further server options (rate limits, proxies, access-log retention, a data dir and port to reuse). */
  server?: Partial<ServerOptions>;
}

export async function startTestServer(dialect: DialectName, opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.server?.dataDir ?? mkdtempSync(join(tmpdir(), "keyplane-test-"));
  const pgdb = dialect === "postgres" && !opts.server?.databaseUrl ? await freshPostgresDatabase() : undefined;
  const clock = {
    now: Date.now(),
    advance(ms: number) {
      this.now += ms;
    },
  };
  const server = await startServer({
    port: 0,
    ...opts.server,
    dataDir,
    databaseUrl: opts.server?.databaseUrl ?? pgdb?.url,
    env: { KEYPLANE_ADMIN_TOKEN: opts.adminToken ?? ADMIN_TOKEN },
    now: () => clock.now,
    logger: opts.logger ?? false,
    upstreamTimeoutMs: opts.upstreamTimeoutMs,
  });
  return {
    ...server,
    dataDir,
    databaseUrl: opts.server?.databaseUrl ?? pgdb?.url,
    clock,
    http: axios.create({ baseURL: server.url, validateStatus: () => true }),
    admin: admin(server.url, server.adminToken),
    dump: () => (pgdb ? pgdb.dump() : sqliteFiles(dataDir)),
  };
}

/** Every SQLite file of a data dir (the store and its access log, with their WALs), as text. */
function sqliteFiles(dataDir: string): string {
  return ["keyplane.db", "keyplane.db-wal", "access-log.db", "access-log.db-wal"]
    .map((f) => join(dataDir, f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString("latin1"))
    .join("");
}

/** The environment that points the provider at `server`, with its admin token. */
export const providerEnv = (server: { url: string; adminToken: string }) => ({
  KEYPLANE_ENDPOINT: server.url,
  KEYPLANE_TOKEN: server.adminToken,
});

/**
 * For a provider suite: a SQLite server for its tests, whose endpoint and admin token are in
 * KEYPLANE_ENDPOINT / KEYPLANE_TOKEN (the environment is restored after). Registers the hooks.
 */
export function serverInEnv(): { server: TestServer } {
  const suite = {} as { server: TestServer };
  const savedEnv = { ...process.env };
  before(async () => {
    suite.server = await startTestServer("sqlite");
    Object.assign(process.env, providerEnv(suite.server));
  });
  after(async () => {
    process.env = savedEnv;
    await suite.server?.close();
  });
  return suite;
}
