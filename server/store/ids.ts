import { randomInt } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** Opaque ids with a type prefix (prj_, dep_, key_, sec_) so a misplaced id is easy to spot. */
export function newId(prefix: "prj" | "dep" | "key" | "sec"): string {
  let body = "";
  for (let i = 0; i < 20; i++) body += ALPHABET[randomInt(62)];
  return `${prefix}_${body}`;
}
