import { createPublicKey, type KeyObject, verify } from "node:crypto";
import { readFileSync } from "node:fs";

/** The scanners' public keys by identifier: whoever signs a report with one of them is believed. */
export type VerifyingKeys = ReadonlyMap<string, KeyObject>;

export const KEY_ID_HEADER = "github-public-key-identifier";
export const SIGNATURE_HEADER = "github-public-key-signature";

/**
 * Reads the document GitHub publishes at https://api.github.com/meta/public_keys/secret_scanning
 * (`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`), saved as it is, or the
 * same shape with an organisation's own scanner keys. Every key must be ECDSA P-256: nothing
 * else verifies a report. Errors name the file and the entry.
 */
export function parseVerifyingKeys(text: string, where: string): VerifyingKeys {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(
      `${where}: not JSON (expected {"public_keys": [{"key_identifier": "...", "key": "-----BEGIN PUBLIC KEY-----..."}]})`,
    );
  }
  const entries = (doc as { public_keys?: unknown })?.public_keys;
  if (!Array.isArray(entries)) throw new Error(`${where}: public_keys must be an array`);
  const keys = new Map<string, KeyObject>();
  entries.forEach((entry, i) => {
    const id = entry?.key_identifier;
    const pem = entry?.key;
    if (typeof id !== "string" || id === "")
      throw new Error(`${where}: public_keys[${i}].key_identifier must be a non-empty string`);
    if (typeof pem !== "string") throw new Error(`${where}: public_keys[${i}].key must be a PEM public key`);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      throw new Error(`${where}: public_keys[${i}].key is not a PEM public key`);
    }
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new Error(`${where}: public_keys[${i}].key must be an ECDSA P-256 key`);
    }
    keys.set(id, key);
  });
  return keys;
}

export const loadVerifyingKeys = (file: string): VerifyingKeys => parseVerifyingKeys(readFileSync(file, "utf8"), file);

export type SignatureCheck = { ok: true; reporter: string } | { ok: false; message: string };

/** Whether the raw body carries a good signature (base64 DER ECDSA over SHA-256) by a configured key. */
export function checkSignature(
  keys: VerifyingKeys,
  headers: Record<string, string | string[] | undefined>,
  raw: Buffer,
): SignatureCheck {
  const id = headers[KEY_ID_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  // One message for every failure: which part was wrong is no business of an unverified caller.
  const bad: SignatureCheck = { ok: false, message: "the report's signature does not verify with a configured key" };
  if (typeof id !== "string" || typeof signature !== "string") return bad;
  const key = keys.get(id);
  if (!key) return bad;
  let good = false;
  try {
    good = verify("sha256", raw, key, Buffer.from(signature, "base64"));
  } catch {
    good = false;
  }
  return good ? { ok: true, reporter: `scanner:${id}` } : bad;
}
