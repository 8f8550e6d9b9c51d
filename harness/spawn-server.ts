import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axios from "axios";
import { freePort } from "./net";
import { freshPostgresDatabase } from "./postgres";

const CLI = require.resolve("@keyplane/server/dist/cli.js");

/** The admin token of every server the tests start, in process or spawned. */
export const ADMIN_TOKEN = "test-admin-token-0123456789";
// One master key for every process, so replicas on one PostgreSQL know each other's keys.
const MASTER_KEY = "11".repeat(32);

export interface SpawnedServer {
  url: string;
  proc: ChildProcess;
  logs(): string;
  /** SIGTERM, resolved once the process has exited (a graceful shutdown). */
  stop(): Promise<void>;
}

/** The URL a `keyplane-server` process says it listens on (it prints it on stderr once ready). */
export function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let err = "";
    child.stderr!.on("data", (b: Buffer) => {
      err += b;
      const m = /listening on (\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`keyplane-server exited ${code}: ${err}`)));
  });
}

/**
 * A Node.js script serving HTTP on a free loopback port (`argv` gets the port), ready once
 * `readyPath` answers without a server error.
 */
export async function spawnHttp(
  argv: (port: number) => string[],
  opts: { env?: Record<string, string>; readyPath?: string } = {},
): Promise<SpawnedServer> {
  const port = await freePort();
  const proc = spawn(process.execPath, argv(port), {
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  proc.stdout!.on("data", (d) => (logs += d));
  proc.stderr!.on("data", (d) => (logs += d));
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await axios.get(`${url}${opts.readyPath ?? "/"}`, { validateStatus: () => true })).status < 500)
        return { url, proc, logs: () => logs, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill("SIGKILL");
  throw new Error(`${argv(port).join(" ")} did not start: ${logs}`);
}

/** A real `keyplane-server` process on a free loopback port, with `args` and the shared master key. */
export function spawnServer(
  args: string[],
  opts: { adminToken?: string; env?: Record<string, string> } = {},
): Promise<SpawnedServer> {
  return spawnHttp((port) => [CLI, "--port", String(port), ...args], {
    env: { KEYPLANE_ADMIN_TOKEN: opts.adminToken ?? ADMIN_TOKEN, KEYPLANE_MASTER_KEY: MASTER_KEY, ...opts.env },
    readyPath: "/readyz",
  });
}

/** `count` keyplane-server processes on one fresh PostgreSQL database (one data dir, so one master key), with `args`. */
export async function spawnReplicas(
  args: string[] = [],
  count = 2,
): Promise<{ databaseUrl: string; replicas: SpawnedServer[]; stop(): Promise<void> }> {
  const databaseUrl = (await freshPostgresDatabase()).url;
  const dir = mkdtempSync(join(tmpdir(), "kp-replicas-"));
  const replicas: SpawnedServer[] = [];
  const stop = async () => {
    await Promise.all(replicas.map((r) => r.stop()));
  };
  try {
    for (let i = 0; i < count; i++)
      replicas.push(await spawnServer(["--data-dir", dir, "--database-url", databaseUrl, ...args]));
  } catch (e) {
    await stop();
    throw e;
  }
  return { databaseUrl, replicas, stop };
}
