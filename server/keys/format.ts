import { createHmac, randomInt } from "node:crypto";

// kp_ + 32 random base62 characters + 6 checksum characters. The checksum lets the
// server refuse a mistyped or made-up key without a database lookup, and lets
// secret scanners recognise a leaked key by its shape.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const PREFIX = "kp_";
const BODY_LENGTH = 32;
const CHECKSUM_LENGTH = 6;
const KEY_RE = new RegExp(`^${PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

/**
 * The detection rule for secret scanners: a candidate anywhere in text, not glued to other
 * word characters. A candidate is a keyplane key only when its checksum matches
 * (isWellFormedApiKey); the README's "Leaks" section spells the checksum out for other tools.
 */
export const API_KEY_CANDIDATE = new RegExp(
  `(?<![0-9A-Za-z_])${PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}(?![0-9A-Za-z_])`,
  "g",
);

function checksum(body: string): string {
  // A plain (unkeyed) digest: anyone may check the shape, only the server can check the key.
  const digest = createHmac("sha256", "keyplane-key-checksum").update(body).digest();
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += ALPHABET[digest[i] % 62];
  return out;
}

export function generateApiKey(): string {
  let body = "";
  for (let i = 0; i < BODY_LENGTH; i++) body += ALPHABET[randomInt(62)];
  return PREFIX + body + checksum(body);
}

/** True when the text has the key format and a matching checksum. */
export function isWellFormedApiKey(text: string): boolean {
  if (!KEY_RE.test(text)) return false;
  const body = text.slice(PREFIX.length, PREFIX.length + BODY_LENGTH);
  return checksum(body) === text.slice(PREFIX.length + BODY_LENGTH);
}
