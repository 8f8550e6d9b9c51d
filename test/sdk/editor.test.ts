import { strict as assert } from "node:assert";
import { resolve } from "node:path";
import ts from "typescript";

// What a program's editor shows for keyplane's resource arguments, asked of the TypeScript
// language service over the emitted declarations (dist/sdk), as an editor would ask it.
const SDK = resolve(__dirname, "../../sdk");
// A program file held in memory only: nothing is written.
const FILE = resolve(__dirname, "editor-program.ts");

const PROGRAM = `import * as keyplane from ${JSON.stringify(SDK)};
const project = new keyplane.Project("p", { description: "demo" });
new keyplane.ApiKey("k", { project: project.id, ttl: "24h", rateLimit: { limit: 600, window: project.name.apply(() => "1m") }, labels: { team: project.name } });
new keyplane.Secret("s", { project: project.id, useCase: "huggingface", description: "hf", value: { token: project.name } });
new keyplane.Deployment("d", { project: project.id, model: "m", upstreamUrl: "http://vllm:8000/v1" });
new keyplane.DeploymentBinding("b", { project: project.id, apiKey: "key", deployment: "dep" });
`;

/** A language service over one program file held in memory (nothing is written); `edit` replaces its text. */
function languageService(text: string) {
  let version = 0;
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [FILE],
    getScriptVersion: (f) => (f === FILE ? String(version) : "0"),
    getScriptSnapshot: (f) => {
      const content = f === FILE ? text : ts.sys.readFile(f);
      return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
    },
    getCurrentDirectory: () => process.cwd(),
    getCompilationSettings: () => ({ strict: true, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, types: [], noEmit: true }),
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: (f) => f === FILE || ts.sys.fileExists(f),
    readFile: (f) => (f === FILE ? text : ts.sys.readFile(f)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host);
  return {
    service,
    /** The program's type errors with `next` as its text. */
    errors(next: string) {
      text = next;
      version++;
      return service.getSemanticDiagnostics(FILE).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  };
}

describe("the SDK's arguments in a program's editor (emitted declarations)", function () {
  this.timeout(60_000);
  const ls = languageService(PROGRAM);
  const errorsIn = ls.errors;

  /** The hover on the first `word:` in the arguments of `new keyplane.<kind>`. */
  const hover = (kind: string, word: string) => {
    const start = PROGRAM.indexOf(`new keyplane.${kind}(`);
    const at = PROGRAM.indexOf(`${word}:`, start);
    assert.ok(start >= 0 && at >= 0, `${kind} ${word}`);
    const info = ls.service.getQuickInfoAtPosition(FILE, at + 1);
    return { type: ts.displayPartsToString(info?.displayParts), docs: ts.displayPartsToString(info?.documentation) };
  };

  it("type-checks a program that passes outputs and promises at any depth", () => {
    assert.deepEqual(errorsIn(PROGRAM), []);
  });

  it("shows each field's documentation from the provider's inputs, and its type as a Pulumi input", () => {
    const ttl = hover("ApiKey", "ttl");
    assert.match(ttl.docs, /Lifetime from creation, e\.g\. "24h"/);
    assert.match(ttl.type, /ttl\?: Input<string> \| undefined/);
    assert.match(hover("ApiKey", "rateLimit").docs, /At most `limit` gateway calls per `window`/);
    assert.match(hover("ApiKey", "project").docs, /The project's id/);
    assert.match(hover("Secret", "value").docs, /huggingface `\{token\}`/);
    assert.match(hover("Secret", "description").docs, /Updated in place/);
    assert.match(hover("Deployment", "upstreamUrl").docs, /Base URL of an OpenAI-compatible server/);
    assert.match(hover("DeploymentBinding", "apiKey").docs, /The key's id/);
    assert.match(hover("Project", "description").docs, /Free text shown in the server's listings/);
  });

  it("refuses fields the provider does not take, the SDK's own managedBy, and a value of the wrong shape", () => {
    const base = `import * as keyplane from ${JSON.stringify(SDK)};\n`;
    assert.deepEqual(errorsIn(`${base}new keyplane.ApiKey("k", { project: "p" });`), []);
    assert.match(errorsIn(`${base}new keyplane.ApiKey("k", { project: "p", tttl: "1h" });`).join("\n"), /'tttl' does not exist/);
    assert.match(errorsIn(`${base}new keyplane.ApiKey("k", { project: "p", managedBy: "me" });`).join("\n"), /'managedBy' does not exist/);
    assert.match(errorsIn(`${base}new keyplane.ApiKey("k", { project: "p", scope: "admin" });`).join("\n"), /"admin"/);
    assert.match(errorsIn(`${base}new keyplane.ApiKey("k", { name: "n" });`).join("\n"), /'project' is missing/);
    assert.notDeepEqual(errorsIn(`${base}new keyplane.Secret("s", { project: "p", useCase: "s3", value: { tokn: "x" } });`), []);
  });
});
