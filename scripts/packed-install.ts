// keyplane installed the way users install it: `npm pack` of every workspace, then a real
// `npm install` of the tarballs into a fresh directory. The end-to-end suites, the demo and
// the benchmarks run their Pulumi programs against that install, never against this checkout,
// so a file missing from `files`/`exports` or a wrong dependency fails them.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const REPO_ROOT = resolve(__dirname, "../..");

const PACKAGES = { keyplane: "keyplane", api: "@keyplane/api", server: "@keyplane/server" } as const;
type Packed = Record<keyof typeof PACKAGES, string>;

let packed: Packed | undefined;

/** Tarballs of keyplane, @keyplane/api and @keyplane/server, packed once per process from the built checkout. */
export function packWorkspaces(): Packed {
  if (packed) return packed;
  const dest = mkdtempSync(join(tmpdir(), "keyplane-pack-"));
  const out = execFileSync(
    "npm",
    ["pack", "--json", "--workspaces", "--include-workspace-root", "--pack-destination", dest, "--loglevel=error"],
    {
      cwd: REPO_ROOT,
      encoding: "utf8",
    },
  );
  const files = new Map(
    (JSON.parse(out) as { name: string; filename: string }[]).map((p) => [p.name, join(dest, p.filename)]),
  );
  const pick = (name: string) => files.get(name) ?? missing(name);
  packed = { keyplane: pick(PACKAGES.keyplane), api: pick(PACKAGES.api), server: pick(PACKAGES.server) };
  return packed;
}

function missing(name: string): never {
  throw new Error(`npm pack made no tarball for ${name}`);
}

const digest = (files: string[], extra: string) => {
  const h = createHash("sha256").update(extra);
  for (const f of files) h.update(readFileSync(f));
  return h.digest("hex").slice(0, 16);
};

/**
 * A directory whose node_modules holds the packed tarballs and `dependencies` installed by
 * `npm install`, as a user's program would have them. Made once per set of tarballs (cached
 * in the temp dir across runs), so every program of a run shares one install.
 */
export function installPacked(tarballs: string[], dependencies: Record<string, string>): string {
  // Native addons are built for the Node.js that installs them: one install per ABI.
  const dir = join(
    tmpdir(),
    `keyplane-install-${digest(tarballs, JSON.stringify(dependencies) + process.versions.modules)}`,
  );
  if (existsSync(join(dir, "node_modules", ".keyplane-complete"))) return dir;
  // Install beside, then move into place: a killed install never looks complete.
  const work = mkdtempSync(`${dir}.tmp-`);
  const deps: Record<string, string> = { ...dependencies };
  for (const t of tarballs) deps[packageNameOf(t)] = `file:${t}`;
  // The server's SQLite driver builds a native addon: its install script must be approved.
  // @pulumi/kubernetes's would download its plugin: the Kubernetes suite builds it instead.
  const manifest = {
    name: "keyplane-packed-install",
    private: true,
    dependencies: deps,
    allowScripts: { "better-sqlite3": true, "@pulumi/kubernetes": false },
  };
  writeFileSync(join(work, "package.json"), JSON.stringify(manifest, null, 2));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: work,
    stdio: ["ignore", "ignore", "inherit"],
    env: nativeBuildEnv(),
  });
  writeFileSync(join(work, "node_modules", ".keyplane-complete"), "");
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return dir;
}

/** Native addons compile against the headers of the Node.js running this, when it ships them. */
function nativeBuildEnv(): NodeJS.ProcessEnv {
  const home = dirname(dirname(process.execPath));
  return existsSync(join(home, "include", "node", "node.h"))
    ? { ...process.env, npm_config_nodedir: home }
    : process.env;
}

function packageNameOf(tarball: string): string {
  const json = execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" });
  return JSON.parse(json).name;
}

/** What a Pulumi TypeScript/JavaScript program of keyplane's depends on, at the versions this checkout uses. */
export function programDependencies(): Record<string, string> {
  const version = (name: string) =>
    JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version as string;
  return {
    "@pulumi/pulumi": version("@pulumi/pulumi"),
    typescript: version("typescript"),
    "ts-node": version("ts-node"),
    "@types/node": version("@types/node"),
  };
}

/** node_modules with the packed keyplane (and @keyplane/api) for Pulumi programs, plus `extra` packages from the registry. */
export function packedKeyplaneModules(extra: Record<string, string> = {}): string {
  const { keyplane, api } = packWorkspaces();
  return join(installPacked([api, keyplane], { ...programDependencies(), ...extra }), "node_modules");
}

/** Links `dir/node_modules` to the shared packed install (with `extra` packages, e.g. @pulumi/kubernetes). */
export function linkPackedKeyplane(dir: string, extra: Record<string, string> = {}): void {
  mkdirSync(dir, { recursive: true });
  if (readdirSync(dir).includes("node_modules")) rmSync(join(dir, "node_modules"), { recursive: true, force: true });
  symlinkSync(packedKeyplaneModules(extra), join(dir, "node_modules"), "dir");
}
