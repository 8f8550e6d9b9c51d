// What `npm i keyplane` adds to a Pulumi TypeScript program: a bare program (@pulumi/pulumi,
// typescript, ts-node, @types/node) and the same program with the packed keyplane, each
// installed into a fresh directory, side by side.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packWorkspaces, programDependencies } from "../scripts/packed-install";
import { printTable, round, writeResult } from "./report";

export interface Footprint {
  megabytes: number;
  /** Entries directly under node_modules, as `ls node_modules` shows them (a scope is one entry). */
  topLevelPackages: number;
  entries: string[];
  seconds: number;
  /** Compiled addons (`*.node`) and `binding.gyp` files: native builds a user would need a toolchain for. */
  nativeAddons: string[];
}

function walk(dir: string, visit: (path: string, size: number) => void): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) walk(p, visit);
    else visit(p, st.size);
  }
}

function measure(dependencies: Record<string, string>): Footprint {
  const dir = mkdtempSync(join(tmpdir(), "keyplane-footprint-"));
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "footprint", private: true, dependencies }));
    const started = process.hrtime.bigint();
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: dir,
      stdio: ["ignore", "ignore", "inherit"],
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const modules = join(dir, "node_modules");
    let bytes = 0;
    const nativeAddons: string[] = [];
    walk(modules, (p, size) => {
      bytes += size;
      if (p.endsWith(".node") || p.endsWith("binding.gyp")) nativeAddons.push(p.slice(modules.length + 1));
    });
    const entries = readdirSync(modules).filter((n) => !n.startsWith("."));
    return {
      megabytes: round(bytes / 1024 / 1024, 1),
      topLevelPackages: entries.length,
      entries,
      seconds: round(seconds, 1),
      nativeAddons,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function installFootprint(): { bare: Footprint; withKeyplane: Footprint } {
  const { keyplane, api } = packWorkspaces();
  const bare = programDependencies();
  return {
    bare: measure(bare),
    withKeyplane: measure({ ...bare, "@keyplane/api": `file:${api}`, keyplane: `file:${keyplane}` }),
  };
}

export async function installFootprintBenchmark(quick: boolean) {
  const r = installFootprint();
  printTable("Install footprint of a Pulumi TypeScript program (fresh directory, npm install)", [
    {
      program: "bare (@pulumi/pulumi, typescript, ts-node, @types/node)",
      MB: r.bare.megabytes,
      packages: r.bare.topLevelPackages,
      seconds: r.bare.seconds,
      "native addons": r.bare.nativeAddons.length,
    },
    {
      program: "the same + keyplane (npm pack)",
      MB: r.withKeyplane.megabytes,
      packages: r.withKeyplane.topLevelPackages,
      seconds: r.withKeyplane.seconds,
      "native addons": r.withKeyplane.nativeAddons.length,
    },
    {
      program: "keyplane adds",
      MB: round(r.withKeyplane.megabytes - r.bare.megabytes, 1),
      packages: r.withKeyplane.topLevelPackages - r.bare.topLevelPackages,
      seconds: round(r.withKeyplane.seconds - r.bare.seconds, 1),
      "native addons": r.withKeyplane.nativeAddons.length - r.bare.nativeAddons.length,
    },
  ]);
  return { file: writeResult("install-footprint", r, quick), results: r };
}
