import { strict as assert } from "node:assert";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../../scripts/packed-install";
import { assertReady } from "../helpers/http";

/** The checkout as a fresh clone would have it: tracked and new files, nothing ignored (no node_modules, no dist). */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "keyplane-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  for (const file of files.split("\0").filter(Boolean)) {
    if (!existsSync(join(REPO_ROOT, file))) continue; // deleted in the work tree
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(REPO_ROOT, file), join(dir, file));
  }
  return dir;
}

describe("the README's commands", function () {
  this.timeout(900_000);

  it("npm ci && npm run build from a fresh clone, then npx keyplane-server --port 0 is ready", async () => {
    const dir = freshCopy();
    try {
      const npm = (...args: string[]) => execFileSync("npm", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
      npm("ci", "--prefer-offline", "--no-audit", "--no-fund");
      npm("run", "build");
      // npx runs the server as its child: a process group of its own lets the test stop both.
      const child = spawn("npx", ["keyplane-server", "--port", "0", "--data-dir", join(dir, "data")], {
        cwd: dir,
        stdio: ["ignore", "ignore", "pipe"],
        detached: true,
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      try {
        await assertReady(child);
      } finally {
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses Node.js 20 with one clear line (no segmentation fault), for the demo and the server alike", () => {
    const node20 = execFileSync("bash", [join(REPO_ROOT, "scripts/install-node.sh"), "20"], {
      encoding: "utf8",
    }).trim();
    const env = { ...process.env, PATH: `${node20}:${process.env.PATH}` };
    const demo = spawnSync("npm", ["run", "demo"], { cwd: REPO_ROOT, env, encoding: "utf8" });
    assert.equal(demo.status, 1, demo.stderr);
    assert.match(
      demo.stderr,
      /npm run demo needs Node\.js 22 or later .*this is v20\.\d+\.\d+; run `export PATH="\$\(bash scripts\/install-node\.sh 22\):\$PATH"` first/,
    );
    assert.doesNotMatch(demo.stdout + demo.stderr, /Segmentation|tsc -b/);
    const server = spawnSync(join(node20, "node"), [join(REPO_ROOT, "server/bin/keyplane-server.js"), "--port", "0"], {
      encoding: "utf8",
    });
    assert.equal(server.status, 1);
    const version = execFileSync(join(node20, "node"), ["--version"], { encoding: "utf8" }).trim();
    assert.equal(
      server.stderr.trim(),
      `keyplane-server needs Node.js 22 or later (22 LTS and 24 are supported); this is ${version}`,
    );
  });
});
