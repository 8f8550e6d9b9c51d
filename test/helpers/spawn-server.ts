import { spawn, type ChildProcess } from "node:child_process";
import axios from "axios";
import { freePort } from "./net";
import { ADMIN_TOKEN } from "./server";

const CLI = require.resolve("@keyplane/server/dist/cli.js");
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

/** A real `keyplane-server` process on a free loopback port. */
export async function spawnServer(args: string[]): Promise<SpawnedServer> {
  const port = await freePort();
  const proc = spawn(process.execPath, [CLI, "--port", String(port), ...args], {
    env: { ...process.env, KEYPLANE_ADMIN_TOKEN: ADMIN_TOKEN, KEYPLANE_MASTER_KEY: MASTER_KEY },
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
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    try {
      if ((await axios.get(`${url}/readyz`)).status === 200) return { url, proc, logs: () => logs, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  proc.kill("SIGKILL");
  throw new Error(`server did not start: ${logs}`);
}
