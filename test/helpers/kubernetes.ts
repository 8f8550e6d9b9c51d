import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import axios, { type AxiosInstance } from "axios";
import { freePort } from "../../harness/net";
import { installedBinDir } from "../../harness/pulumi";
import { requireTool } from "./pulumi";

// A real Kubernetes control plane for one test run: etcd, kube-apiserver and
// kube-controller-manager (scripts/install-kubernetes.sh builds them) on loopback ports, with a
// CA and serving certificate made here, a static admin token in system:masters, and no kubelet
// (pods stay Pending). Stopped, and its files removed, after the run.

export interface ControlPlane {
  /** https://127.0.0.1:<port> */
  url: string;
  token: string;
  /** A kubeconfig for the Pulumi Kubernetes provider (KUBECONFIG). */
  kubeconfig: string;
  /** The API, authenticated as the admin. */
  api: AxiosInstance;
  logs(): string;
  stop(): Promise<void>;
}

/** The directory holding the control-plane binaries and the Pulumi Kubernetes plugin; without it, skip or fail (see requireTool). */
export const requireKubernetes = (ctx: Mocha.Context) =>
  requireTool(ctx, installedBinDir("install-kubernetes.sh", "Kubernetes control plane"), "Kubernetes end-to-end");

function openssl(cwd: string, args: string[]): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, a serving certificate for 127.0.0.1 signed by it, and the service-account signing key pair. */
function makeCertificates(dir: string): void {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=keyplane-test-ca",
  ]);
  openssl(dir, [
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=kube-apiserver",
  ]);
  writeFileSync(
    join(dir, "server.ext"),
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  openssl(dir, [
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "server.ext",
  ]);
  openssl(dir, ["genrsa", "-out", "sa.key", "2048"]);
  openssl(dir, ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

interface Proc {
  name: string;
  proc: ChildProcess;
  log: string;
}

function start(name: string, exe: string, args: string[]): Proc {
  const p: Proc = { name, proc: spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"] }), log: "" };
  const keep = (d: Buffer) => {
    // The last 64 KB are enough to say why a component failed.
    p.log = (p.log + d.toString()).slice(-65536);
  };
  p.proc.stdout!.on("data", keep);
  p.proc.stderr!.on("data", keep);
  return p;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.proc.once("exit", () => r()));
  p.proc.kill("SIGTERM");
  const timer = setTimeout(() => p.proc.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startControlPlane(binDir: string): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "keyplane-k8s-"));
  makeCertificates(dir);
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(dir, "tokens.csv"), `${token},keyplane-test-admin,keyplane-test-admin,"system:masters"\n`);
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const url = `https://127.0.0.1:${apiPort}`;
  const ca = readFileSync(join(dir, "ca.crt"));
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "test", cluster: { server: url, "certificate-authority-data": ca.toString("base64") } }],
      users: [{ name: "admin", user: { token } }],
      contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
      "current-context": "test",
    }),
  );
  const procs: Proc[] = [];
  const stop = async () => {
    for (const p of [...procs].reverse()) await stopProc(p);
    rmSync(dir, { recursive: true, force: true });
  };
  const logs = () =>
    procs
      .map((p) => `--- ${p.name}${p.proc.exitCode === null ? "" : ` (exited ${p.proc.exitCode})`}\n${p.log}`)
      .join("\n");
  try {
    procs.push(
      start("etcd", join(binDir, "etcd"), [
        "--name=test",
        `--data-dir=${join(dir, "etcd")}`,
        `--listen-client-urls=http://127.0.0.1:${etcdClient}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdClient}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
        "--log-level=warn",
      ]),
    );
    procs.push(
      start("kube-apiserver", join(binDir, "kube-apiserver"), [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}`,
        `--tls-cert-file=${join(dir, "server.crt")}`,
        `--tls-private-key-file=${join(dir, "server.key")}`,
        `--client-ca-file=${join(dir, "ca.crt")}`,
        `--token-auth-file=${join(dir, "tokens.csv")}`,
        "--authorization-mode=RBAC",
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-account-key-file=${join(dir, "sa.pub")}`,
        `--service-account-signing-key-file=${join(dir, "sa.key")}`,
        // An allocation range for ClusterIPs only: nothing here routes to it.
        "--service-cluster-ip-range=10.96.0.0/16",
        // Otherwise it reports every 10 s that a loopback endpoint for the kubernetes Service is invalid.
        "--endpoint-reconciler-type=none",
      ]),
    );
    const api = axios.create({
      baseURL: url,
      headers: { authorization: `Bearer ${token}` },
      httpsAgent: new Agent({ ca }),
      validateStatus: () => true,
    });
    await waitFor("kube-apiserver /readyz", procs, async () => (await api.get("/readyz")).status === 200);
    procs.push(
      start("kube-controller-manager", join(binDir, "kube-controller-manager"), [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false",
        // Nothing here reads its metrics or health endpoints: no serving, no delegated auth.
        "--secure-port=0",
        `--service-account-private-key-file=${join(dir, "sa.key")}`,
        `--root-ca-file=${join(dir, "ca.crt")}`,
        "--use-service-account-credentials=false",
      ]),
    );
    // The controller manager is up once it has made the default namespace's service account.
    await waitFor(
      "the default service account",
      procs,
      async () => (await api.get("/api/v1/namespaces/default/serviceaccounts/default")).status === 200,
    );
    return { url, token, kubeconfig, api, logs, stop };
  } catch (e) {
    const text = `${(e as Error).message}\n${logs()}`;
    await stop();
    throw new Error(text);
  }
}

async function waitFor(what: string, procs: Proc[], ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const dead = procs.find((p) => p.proc.exitCode !== null);
    if (dead) throw new Error(`${dead.name} exited (${dead.proc.exitCode}) before ${what}`);
    try {
      if (await ready()) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
