import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import axios from "axios";
import { freePort } from "../test/helpers/net";

export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789";

export interface Child {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess) {
  return () =>
    new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
}

async function waitFor(url: string, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      await axios.get(url, { validateStatus: () => true });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** keyplane-server in its own process, as deployed (request logs at warn so the log is not the benchmark). */
export async function startKeyplane(databaseUrl?: string, extraArgs: string[] = []): Promise<Child> {
  const port = await freePort();
  const args = [require.resolve("@keyplane/server/dist/cli.js"), "--port", String(port), "--data-dir", mkdtempSync(join(tmpdir(), "kp-bench-"))];
  if (databaseUrl) args.push("--database-url", databaseUrl);
  args.push(...extraArgs);
  const proc = spawn(process.execPath, args, {
    // One master key for every process, so replicas on one PostgreSQL know each other's keys.
    env: { ...process.env, KEYPLANE_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, KEYPLANE_MASTER_KEY: "42".repeat(32), KEYPLANE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, proc);
  return { url, proc, stop: stopper(proc) };
}

export async function startBare(): Promise<Child> {
  const port = await freePort();
  const proc = spawn(process.execPath, [resolve(__dirname, "bare-server.js"), String(port)], { stdio: ["ignore", "ignore", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, proc);
  return { url, proc, stop: stopper(proc) };
}
