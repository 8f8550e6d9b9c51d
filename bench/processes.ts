import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type SpawnedServer, spawnHttp, spawnServer } from "../harness/spawn-server";

export const BENCH_ADMIN_TOKEN = "bench-admin-token-0123456789";

export type Child = SpawnedServer;

/** keyplane-server in its own process, as deployed (request logs at warn so the log is not the benchmark). */
export function startKeyplane(databaseUrl?: string, extraArgs: string[] = []): Promise<Child> {
  const args = [
    "--data-dir",
    mkdtempSync(join(tmpdir(), "kp-bench-")),
    ...(databaseUrl ? ["--database-url", databaseUrl] : []),
    ...extraArgs,
  ];
  return spawnServer(args, { adminToken: BENCH_ADMIN_TOKEN, env: { KEYPLANE_LOG_LEVEL: "warn" } });
}

export function startBare(): Promise<Child> {
  return spawnHttp((port) => [resolve(__dirname, "bare-server.js"), String(port)]);
}
