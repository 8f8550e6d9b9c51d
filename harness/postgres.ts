import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./net";

// A real PostgreSQL for the suite: Debian's server binaries, a throwaway cluster on
// a loopback port, started once and stopped after the run. KEYPLANE_TEST_DATABASE_URL
// points the suite at an existing server instead.

interface Cluster {
  baseUrl: string;
  stop(): void;
}

/** A cluster of its own, for tests that take PostgreSQL away and bring it back on the same port. */
export interface DedicatedCluster extends Cluster {
  /** A fast shutdown (connections are dropped); the data stays. */
  halt(): void;
  resume(): void;
}

let cluster: Cluster | undefined;

function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root))
    throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0], "bin");
}

async function startCluster(): Promise<Cluster> {
  if (process.env.KEYPLANE_TEST_DATABASE_URL) return { baseUrl: process.env.KEYPLANE_TEST_DATABASE_URL, stop() {} };
  return startDedicatedPostgres();
}

export async function startDedicatedPostgres(): Promise<DedicatedCluster> {
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), "keyplane-pg-"));
  chmodSync(dir, 0o777);
  const dataDir = join(dir, "data");
  // initdb refuses to run as root; run the cluster as the postgres system user then.
  const asUser = userInfo().uid === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const run = (cmd: string, args: string[]) => {
    const [exe, ...pre] = [...asUser, join(bin, cmd)];
    const r = spawnSync(exe, [...pre, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  run("initdb", ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const start = () =>
    run("pg_ctl", [
      "-D",
      dataDir,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -h 127.0.0.1 -k ${dir} -c fsync=on -c max_connections=200`,
      "start",
    ]);
  const halt = () => run("pg_ctl", ["-D", dataDir, "-m", "fast", "-w", "stop"]);
  start();
  return {
    baseUrl: `postgres://postgres@127.0.0.1:${port}`,
    halt,
    resume: start,
    stop() {
      try {
        const [exe, ...pre] = [...asUser, join(bin, "pg_ctl")];
        execFileSync(exe, [...pre, "-D", dataDir, "-m", "fast", "stop"], { stdio: "ignore" });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** A fresh, empty database on the suite's PostgreSQL (or on the cluster given). */
export async function freshPostgresDatabase(on?: { baseUrl: string }): Promise<{ url: string; dump(): string }> {
  if (!on) cluster ??= await startCluster();
  const baseUrl = (on ?? cluster!).baseUrl;
  const name = `kp_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: `${baseUrl}/postgres` });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = `${baseUrl}/${name}`;
  return {
    url,
    dump: () =>
      execFileSync(join(postgresBinDir(), "pg_dump"), ["--data-only", url], {
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
      }),
  };
}

export function stopPostgres(): void {
  cluster?.stop();
  cluster = undefined;
}
