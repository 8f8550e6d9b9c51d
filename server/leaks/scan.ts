import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { API_KEY_CANDIDATE, isWellFormedApiKey } from "../keys/format";

export interface Finding {
  file: string;
  line: number;
  token: string;
}

/** Files past this size are skipped: keys live in config and source, not in data dumps. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;

/** Every keyplane key (checksum verified) in the file or tree at `root`; `.git` and symlinks are not followed. */
export function findKeys(root: string): Finding[] {
  const found: Finding[] = [];
  const visit = (path: string) => {
    const stat = lstatSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name !== ".git") visit(join(path, name));
      return;
    }
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) return;
    const lines = readFileSync(path, "latin1").split("\n");
    lines.forEach((text, i) => {
      for (const m of text.matchAll(API_KEY_CANDIDATE))
        if (isWellFormedApiKey(m[0])) found.push({ file: path, line: i + 1, token: m[0] });
    });
  };
  visit(root);
  return found;
}

/** What a finding looks like in a log: never the key, only its display form. */
export const displayForm = (token: string) => `kp_••••••••${token.slice(-4)}`;

/** The findings as a leak report (the partner format POST /v1/leaks takes). */
export const reportOf = (findings: Finding[]) =>
  findings.map((f) => ({
    token: f.token,
    type: "keyplane_api_key",
    url: `${f.file}:${f.line}`,
    source: "keyplane-scan",
  }));
