import ts from "typescript";

/**
 * What a program's editor shows: the TypeScript language service over one program file held
 * in memory at `file` (nothing is written), resolving its imports from where it would lie.
 */
export function editor(file: string) {
  let text = "";
  let version = 0;
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: (f) => (f === file ? String(version) : "0"),
    getScriptSnapshot: (f) => {
      const content = f === file ? text : ts.sys.readFile(f);
      return content === undefined ? undefined : ts.ScriptSnapshot.fromString(content);
    },
    getCurrentDirectory: () => process.cwd(),
    getCompilationSettings: () => ({
      strict: true,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      types: [],
      noEmit: true,
    }),
    getDefaultLibFileName: ts.getDefaultLibFilePath,
    fileExists: (f) => f === file || ts.sys.fileExists(f),
    readFile: (f) => (f === file ? text : ts.sys.readFile(f)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const service = ts.createLanguageService(host);
  return {
    /** The program's type errors with `next` as its text. */
    errors(next: string): string[] {
      text = next;
      version++;
      return service.getSemanticDiagnostics(file).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
    /** The hover on the first `word:` after `after` in the program: the type shown and the documentation. */
    hover(after: string, word: string): { type: string; docs: string } {
      const start = text.indexOf(after);
      const at = text.indexOf(`${word}:`, start);
      if (start < 0 || at < 0) throw new Error(`no ${word}: after ${after} in the program`);
      const info = service.getQuickInfoAtPosition(file, at + 1);
      return { type: ts.displayPartsToString(info?.displayParts), docs: ts.displayPartsToString(info?.documentation) };
    },
  };
}
