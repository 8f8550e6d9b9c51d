import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateApiKey } from "@keyplane/server/dist/keys/format";
import { gateway, seedProject } from "../helpers/http";
import { badChecksum } from "../helpers/leaks";
import { startTestServer } from "../helpers/server";

// `keyplane-server scan`, the real command: finds keys (checksum verified) in a tree made here,
// none among look-alikes, never prints a key, and reports what it found with --submit.

const CLI = require.resolve("@keyplane/server/dist/cli.js");

function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, "scan", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "keyplane-scan-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe("keyplane-server scan", () => {
  const keys = [generateApiKey(), generateApiKey(), generateApiKey()];

  it("finds every key in a fixture tree, by file and line, without printing one", async () => {
    const root = tree({
      ".env": `OPENAI_BASE_URL=http://gw/v1\nOPENAI_API_KEY=${keys[0]}\n`,
      "src/config.json": JSON.stringify({ llm: { apiKey: keys[1] } }, null, 2),
      "deploy/values.yaml": `a: 1\nb: 2\nheaders:\n  authorization: "Bearer ${keys[2]}"\n  again: '${keys[0]}'\n`,
      "README.md": "no keys here, only kp_ talk",
    });
    const r = await run([root]);
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stdout.trim().split("\n").sort();
    assert.deepEqual(lines, [
      `${join(root, ".env")}:2: kp_••••••••${keys[0].slice(-4)}`,
      `${join(root, "deploy/values.yaml")}:4: kp_••••••••${keys[2].slice(-4)}`,
      `${join(root, "deploy/values.yaml")}:5: kp_••••••••${keys[0].slice(-4)}`,
      `${join(root, "src/config.json")}:3: kp_••••••••${keys[1].slice(-4)}`,
    ]);
    assert.match(r.stderr, /4 keyplane key\(s\) found/);
    for (const k of keys) assert.ok(!(r.stdout + r.stderr).includes(k), "no key printed");
  });

  it("finds none among look-alikes: bad checksums, wrong lengths, glued to other characters", async () => {
    const root = tree({
      "a.env": keys.map((k) => `KEY=${badChecksum(k)}`).join("\n"),
      "b/c.txt": `short kp_${"a".repeat(37)} long kp_${"a".repeat(39)} glued x${keys[0]} and ${keys[1]}9 and my_${keys[2]}`,
      "d.json": JSON.stringify({ k: `KP_${keys[0].slice(3)}` }),
    });
    const r = await run([root]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /0 keyplane key\(s\) found/);
    // A path that is not there is a usage error (2), not "no keys" (0) nor "keys found" (1).
    const missing = await run([join(root, "nowhere")]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nowhere: no such file or directory/);
  });

  it("--submit reports the keys it found: the live ones are refused as leaked at once", async () => {
    const s = await startTestServer("sqlite");
    try {
      const {
        projectId,
        keys: { committed: key },
      } = await seedProject(s.admin, {
        name: "scanned",
        description: "",
        deployments: { "chat-model": {} },
        keys: { committed: { deploymentAccess: "all" } },
      });
      const call = () => gateway(s.url, key.secret, { model: "chat-model", content: "x" });
      assert.equal((await call()).status, 200);
      const root = tree({ "app/settings.py": `API_KEY = "${key.secret}"\nOTHER = "${keys[0]}"\n` });
      const r = await run([root, "--submit", s.url], { KEYPLANE_TOKEN: s.adminToken });
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /reported; 1 of them/);
      const refused = await call();
      assert.equal(refused.data.error.code, "leaked_key");
      const got = (await s.admin.get(`/v1/projects/${projectId}/api-keys/${key.id}`)).data;
      assert.equal(got.leakUrl, `${join(root, "app/settings.py")}:1`);
      assert.equal(got.leakSource, "keyplane-scan");
      const noToken = await run([root, "--submit", s.url], { KEYPLANE_TOKEN: "" });
      assert.equal(noToken.status, 2);
      assert.match(noToken.stderr, /--submit needs --token/);
    } finally {
      await s.close();
    }
  });
});
