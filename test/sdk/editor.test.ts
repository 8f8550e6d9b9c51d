import { strict as assert } from "node:assert";
import { resolve } from "node:path";
import { editor } from "../helpers/editor";

// What a program's editor shows for keyplane's resource arguments, over the emitted
// declarations (dist/sdk). The end-to-end packaging suite asks the same of an npm install.
const SDK = resolve(__dirname, "../../sdk");
const HEAD = `import * as keyplane from ${JSON.stringify(SDK)};\n`;

const PROGRAM = `${HEAD}const project = new keyplane.Project("p", { description: "demo" });
new keyplane.ApiKey("k", { project: project.id, ttl: "24h", rateLimit: { limit: 600, window: project.name.apply(() => "1m") }, labels: { team: project.name } });
new keyplane.Secret("s", { project: project.id, useCase: "huggingface", description: "hf", value: { token: project.name } });
new keyplane.Deployment("d", { project: project.id, model: "m", upstreamUrl: "http://vllm:8000/v1" });
new keyplane.DeploymentBinding("b", { project: project.id, apiKey: "key", deployment: "dep" });
`;

describe("the SDK's arguments in a program's editor (emitted declarations)", function () {
  this.timeout(60_000);
  const program = editor(resolve(__dirname, "editor-program.ts"));

  it("type-checks a program that passes outputs and promises at any depth", () => {
    assert.deepEqual(program.errors(PROGRAM), []);
  });

  it("shows each field's documentation from the provider's inputs, and its type as a Pulumi input", () => {
    program.errors(PROGRAM);
    const ttl = program.hover("new keyplane.ApiKey(", "ttl");
    assert.match(ttl.docs, /Lifetime from creation, e\.g\. "24h"/);
    assert.match(ttl.type, /ttl\?: Input<string> \| undefined/);
    assert.match(program.hover("new keyplane.ApiKey(", "rateLimit").docs, /At most `limit` gateway calls per `window`/);
    assert.match(program.hover("new keyplane.ApiKey(", "project").docs, /The project's id/);
    assert.match(program.hover("new keyplane.Secret(", "value").docs, /huggingface `\{token\}`/);
    assert.match(program.hover("new keyplane.Secret(", "description").docs, /Updated in place/);
    assert.match(
      program.hover("new keyplane.Deployment(", "upstreamUrl").docs,
      /Base URL of an OpenAI-compatible server/,
    );
    assert.match(program.hover("new keyplane.DeploymentBinding(", "apiKey").docs, /The key's id/);
    assert.match(
      program.hover("new keyplane.Project(", "description").docs,
      /Free text shown in the server's listings/,
    );
  });

  it("refuses fields the provider does not take, the SDK's own managedBy, and a value of the wrong shape", () => {
    assert.deepEqual(program.errors(`${HEAD}new keyplane.ApiKey("k", { project: "p" });`), []);
    assert.match(
      program.errors(`${HEAD}new keyplane.ApiKey("k", { project: "p", tttl: "1h" });`).join("\n"),
      /'tttl' does not exist/,
    );
    assert.match(
      program.errors(`${HEAD}new keyplane.ApiKey("k", { project: "p", managedBy: "me" });`).join("\n"),
      /'managedBy' does not exist/,
    );
    assert.match(
      program.errors(`${HEAD}new keyplane.ApiKey("k", { project: "p", scope: "admin" });`).join("\n"),
      /"admin"/,
    );
    assert.match(program.errors(`${HEAD}new keyplane.ApiKey("k", { name: "n" });`).join("\n"), /'project' is missing/);
    assert.notDeepEqual(
      program.errors(`${HEAD}new keyplane.Secret("s", { project: "p", useCase: "s3", value: { tokn: "x" } });`),
      [],
    );
  });
});
