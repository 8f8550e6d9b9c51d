import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Leak reports as GitHub's secret-scanning partner program sends them, signed by a key pair
// made here (standing for the scanner's).

export const SCANNER_KEY_ID = "test-scanner-key-1";

/** An ECDSA P-256 key pair and the verifying-keys file a server is started with (--leak-keys). */
export function scannerKeys() {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const file = join(mkdtempSync(join(tmpdir(), "keyplane-leak-keys-")), "leak-keys.json");
  writeFileSync(
    file,
    JSON.stringify({
      public_keys: [
        { key_identifier: SCANNER_KEY_ID, key: publicKey.export({ type: "spki", format: "pem" }), is_current: true },
      ],
    }),
  );
  return { privateKey, file };
}

/** The headers of the report `raw` signed with `privateKey` under `keyId`. */
export const signed = (privateKey: KeyObject, raw: string, keyId = SCANNER_KEY_ID) => ({
  "content-type": "application/json",
  "github-public-key-identifier": keyId,
  "github-public-key-signature": sign("sha256", Buffer.from(raw), privateKey).toString("base64"),
});

/** A report body naming `tokens` as found at `url`. */
export const leakReport = (tokens: string[], url = "https://github.com/acme/app/blob/abc123/config.env") =>
  JSON.stringify(tokens.map((token) => ({ token, type: "keyplane_api_key", url, source: "content" })));

/** A well-formed look-alike of `key`: right shape, wrong checksum. */
export const badChecksum = (key: string) => key.slice(0, -1) + (key.endsWith("A") ? "B" : "A");
