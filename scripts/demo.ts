// `npm run demo`: the quickstart, end to end, with the real Pulumi CLI and an embedded server.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "@keyplane/server";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import axios from "axios";
import { linkPackedKeyplane, REPO_ROOT as root } from "./packed-install";

const step = (n: number, text: string) => console.log(`\n\x1b[1m[${n}] ${text}\x1b[0m`);

async function main() {
  step(1, "Making sure the Pulumi CLI is here (built once from the Go module proxy, then cached)");
  execFileSync("bash", [join(root, "scripts/install-pulumi.sh")], { stdio: "inherit" });
  const bin = execFileSync("bash", [join(root, "scripts/install-pulumi.sh"), "--print-bin-dir"], {
    encoding: "utf8",
  }).trim();
  process.env.PATH = `${bin}:${process.env.PATH}`;

  const work = mkdtempSync(join(tmpdir(), "keyplane-demo-"));
  step(2, "Installing keyplane into a copy of examples/quickstart from npm pack, as a user would");
  const program = join(work, "quickstart");
  cpSync(join(root, "examples/quickstart"), program, {
    recursive: true,
    filter: (src) => !src.includes("node_modules"),
  });
  linkPackedKeyplane(program);
  step(3, "Starting the reference auth server (embedded SQLite) on a free loopback port");
  const server = await startServer({ port: 0, dataDir: join(work, "server"), logger: false });
  console.log(`server: ${server.url}  admin token: in ${server.adminTokenSource}`);

  mkdirSync(join(work, "state"));
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "demo", workDir: program },
      {
        envVars: {
          PULUMI_BACKEND_URL: `file://${join(work, "state")}`,
          PULUMI_CONFIG_PASSPHRASE: "keyplane-demo",
          PULUMI_HOME: join(work, "pulumi-home"),
          PULUMI_SKIP_UPDATE_CHECK: "1",
          KEYPLANE_ENDPOINT: server.url,
          KEYPLANE_TOKEN: server.adminToken,
        },
      },
    );

    step(4, "pulumi up: project, deployment, API key, binding, Hugging Face secret");
    const up = await stack.up({ onOutput: (o) => process.stdout.write(o) });
    const outs = up.outputs;
    console.log(`key ${outs.keyTruncated.value} (id ${outs.keyId.value}) expires ${outs.keyExpiresAt.value}`);

    step(5, `Calling the gateway with the new key: POST /v1/chat/completions model=${outs.model.value}`);
    const call = (key: string) =>
      axios.post(
        `${server.url}/v1/chat/completions`,
        { model: outs.model.value, messages: [{ role: "user", content: "Hello from the keyplane demo" }] },
        { headers: { authorization: `Bearer ${key}` }, validateStatus: () => true },
      );
    const answer = await call(outs.keySecret.value);
    console.log(`HTTP ${answer.status}: ${JSON.stringify(answer.data.choices?.[0]?.message ?? answer.data)}`);

    step(6, "Rotation preview: pulumi config set rotation 2 && pulumi preview");
    await stack.setConfig("rotation", { value: "2" });
    const preview = await stack.preview({ diff: true });
    console.log(
      `preview: ${JSON.stringify(preview.changeSummary)} (the key and its binding are replaced, create-before-delete)`,
    );
    await stack.setConfig("rotation", { value: "1" });

    step(7, "pulumi destroy: keys are revoked, secrets and the project deleted");
    await stack.destroy({ onOutput: (o) => process.stdout.write(o) });
    const after = await call(outs.keySecret.value);
    console.log(`the old key now gets HTTP ${after.status} ${after.data.error?.code}`);
    await stack.workspace.removeStack("demo");
  } finally {
    await server.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log("\ndone.");
}

main().catch((e) => {
  console.error(`demo failed: ${e.message ?? e}`);
  process.exit(1);
});
