import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";

/**
 * Everything derived from the master key: the pepper for key hashes and the
 * AES-256-GCM key for values at rest. Separate derivations so neither can stand
 * in for the other.
 */
export class Keyring {
  // A KeyObject: an HMAC keyed by one costs a quarter less than one keyed by a Buffer.
  private readonly pepper: KeyObject;
  private readonly encryptionKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("the master key must be 32 bytes");
    this.pepper = createSecretKey(
      Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), "keyplane api-key pepper v1", 32)),
    );
    this.encryptionKey = Buffer.from(
      hkdfSync("sha256", masterKey, Buffer.alloc(0), "keyplane value encryption v1", 32),
    );
  }

  /** Keyed hash of an API key: what the database stores and looks keys up by. */
  hashApiKey(key: string): string {
    return createHmac("sha256", this.pepper).update(key).digest("hex");
  }

  /**
   * A keyed fingerprint of a value under a label (the admin token a session signed in with,
   * the hop mark): stable across replicas that share the master key, useless without it.
   */
  fingerprint(label: string, value: string): string {
    return createHmac("sha256", this.pepper).update(`keyplane ${label} v1\u0000${value}`).digest("hex").slice(0, 32);
  }

  /** AES-256-GCM; `context` (e.g. the row id and version) is bound as associated data. */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), body.toString("base64")].join(".");
  }

  decrypt(sealed: string, context: string): string {
    const [version, iv, tag, body] = sealed.split(".");
    if (version !== "v1") throw new Error("unknown ciphertext version");
    const decipher = createDecipheriv("aes-256-gcm", this.encryptionKey, Buffer.from(iv, "base64"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}
