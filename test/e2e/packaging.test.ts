import { strict as assert } from "node:assert";
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { installFootprint } from "../../bench/install-footprint";
import { installPacked, packedKeyplaneModules, packWorkspaces } from "../../scripts/packed-install";
import { editor } from "../helpers/editor";
import { assertReady } from "../helpers/http";

const tarballFiles = (tarball: string) =>
  execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
const tarballManifest = (tarball: string) =>
  JSON.parse(execFileSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" }));

describe("keyplane as users install it (npm pack)", function () {
  this.timeout(600_000);

  it("packs keyplane with the SDK and provider only, depending on @pulumi/pulumi, axios, zod and @keyplane/api", () => {
    const { keyplane } = packWorkspaces();
    const files = tarballFiles(keyplane);
    assert.ok(
      files.includes("package/dist/sdk/index.js") && files.includes("package/dist/provider/resources/api-key.js"),
      files.join("\n"),
    );
    assert.ok(
      files.includes("package/dist/sdk/kubernetes.js") && files.includes("package/dist/sdk/kubernetes.d.ts"),
      "the keyplane/kubernetes entry",
    );
    const stray = files.filter(
      (f) => !/^package\/(dist\/(sdk|provider)\/.+\.(js|d\.ts)|README\.md|package\.json|LICENSE)$/.test(f),
    );
    assert.deepEqual(stray, [], "nothing of the server, tests or sources");
    const manifest = tarballManifest(keyplane);
    assert.deepEqual(Object.keys(manifest.dependencies).sort(), ["@keyplane/api", "@pulumi/pulumi", "axios", "zod"]);
    assert.equal(manifest.peerDependenciesMeta["@pulumi/kubernetes"].optional, true);
  });

  it("adds at most 15 MB to a Pulumi TypeScript program, nothing of the server and no native addon", () => {
    const { bare, withKeyplane } = installFootprint();
    const added = withKeyplane.entries.filter((e) => !bare.entries.includes(e));
    console.log(
      `      bare ${bare.megabytes} MB / ${bare.topLevelPackages} packages; with keyplane ${withKeyplane.megabytes} MB / ${withKeyplane.topLevelPackages}; added: ${added.join(" ")}`,
    );
    assert.ok(withKeyplane.megabytes - bare.megabytes <= 15, `${withKeyplane.megabytes - bare.megabytes} MB more`);
    assert.deepEqual(withKeyplane.nativeAddons, bare.nativeAddons);
    for (const serverOnly of ["fastify", "kysely", "pg", "better-sqlite3", "pino", "@fastify", "ioredis"])
      assert.ok(!added.includes(serverOnly), `${serverOnly} reached a Pulumi program`);
    // keyplane, @keyplane/api and zod, plus axios (the contract's HTTP client) and its own
    // dependency tree, which alone is 25 packages with axios 1.21 (form-data's es-* helpers).
    assert.ok(added.length <= 30, `${added.length} packages more: ${added.join(" ")}`);
  });

  it("shows a program's editor each argument's documentation from the installed declarations", () => {
    const program = editor(join(dirname(packedKeyplaneModules()), "index.ts"));
    const text = `import * as keyplane from "keyplane";\nnew keyplane.ApiKey("k", { project: "p", ttl: "24h" });\nnew keyplane.Secret("s", { project: "p", useCase: "generic", value: { data: {} } });\n`;
    assert.deepEqual(program.errors(text), []);
    assert.match(program.hover("new keyplane.ApiKey(", "ttl").docs, /Lifetime from creation/);
    assert.match(program.hover("new keyplane.Secret(", "value").docs, /generic `\{data: \{\.\.\.\}\}`/);
  });

  it("installs @keyplane/server (with @keyplane/api) without Pulumi, and keyplane-server starts on SQLite", async () => {
    const { server, api } = packWorkspaces();
    const dir = installPacked([api, server], {});
    assert.ok(!existsSync(join(dir, "node_modules/@pulumi")), "no Pulumi in a server install");
    assert.ok(!existsSync(join(dir, "node_modules/keyplane")));
    const child = spawn(
      join(dir, "node_modules/.bin/keyplane-server"),
      ["--port", "0", "--data-dir", join(dir, "data")],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    try {
      await assertReady(child);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
