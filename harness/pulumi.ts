import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

import { linkPackedKeyplane, REPO_ROOT } from "../scripts/packed-install";

export { REPO_ROOT };

/** The bin directory an install script (scripts/<script> --print-bin-dir) reports as built, or why there is none. */
export function installedBinDir(script: string, what: string): { dir?: string; why?: string } {
  try {
    const dir = execFileSync("bash", [join(REPO_ROOT, "scripts", script), "--print-bin-dir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    return { dir };
  } catch (e: any) {
    return { why: `no ${what}: ${String(e.stderr || e.message).trim()}` };
  }
}

/** The Pulumi CLI's directory, or why there is none. */
export const findPulumiCli = () => installedBinDir("install-pulumi.sh", "Pulumi CLI");

/** A program directory (Pulumi.yaml + index.js) with keyplane installed from `npm pack`, as users install it. */
export function writeProgram(name: string, source: string): string {
  const dir = mkdtempSync(join(tmpdir(), `keyplane-e2e-${name}-`));
  writeFileSync(
    join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
  );
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, main: "index.js" }));
  writeFileSync(join(dir, "index.js"), source);
  linkPackedKeyplane(dir);
  return dir;
}

export async function newStack(binDir: string, workDir: string, env: Record<string, string>): Promise<Stack> {
  const state = join(workDir, ".state");
  mkdirSync(state, { recursive: true });
  const envVars = {
    PULUMI_CONFIG_PASSPHRASE: "e2e-passphrase",
    PULUMI_BACKEND_URL: `file://${state}`,
    PULUMI_HOME: join(workDir, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PATH: `${binDir}:${process.env.PATH}`,
    ...env,
  };
  process.env.PATH = envVars.PATH;
  return LocalWorkspace.createOrSelectStack({ stackName: "e2e", workDir }, { envVars });
}

/** Every file the file:// backend wrote (the stack, its history and backups), as one text. */
export function stateFiles(dir: string): string {
  let out = "";
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    out += statSync(p).isDirectory() ? stateFiles(p) : readFileSync(p, "latin1");
  }
  return out;
}
