import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The generated admin credential: 256 random bits (not an API key: no checksum, never in the key format). */
const generateAdminToken = () => "kpadmin_" + randomBytes(32).toString("base64url");

/** Reads a 0600 file from the data dir, or makes it on first start. */
function readOrCreate(
  dataDir: string,
  file: string,
  make: () => string,
): { value: string; path: string; created: boolean } {
  const path = join(dataDir, file);
  if (existsSync(path)) return { value: readFileSync(path, "utf8").trim(), path, created: false };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const value = make();
  writeFileSync(path, value + "\n", { mode: 0o600, flag: "wx" });
  return { value, path, created: true };
}

/** The master key: KEYPLANE_MASTER_KEY (64 hex digits or base64 of 32 bytes), else `master.key` in the data dir. */
export function loadMasterKey(dataDir: string, fromEnv?: string): { key: Buffer; source: string } {
  if (fromEnv) {
    const key = /^[0-9a-fA-F]{64}$/.test(fromEnv) ? Buffer.from(fromEnv, "hex") : Buffer.from(fromEnv, "base64");
    if (key.length !== 32) throw new Error("KEYPLANE_MASTER_KEY must be 32 bytes, as 64 hex digits or base64");
    return { key, source: "KEYPLANE_MASTER_KEY" };
  }
  const file = readOrCreate(dataDir, "master.key", () => randomBytes(32).toString("hex"));
  return { key: Buffer.from(file.value, "hex"), source: file.path };
}

/** The admin token: KEYPLANE_ADMIN_TOKEN, else `admin-token` in the data dir. */
export function loadAdminToken(dataDir: string, fromEnv?: string): { token: string; source: string; created: boolean } {
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error("KEYPLANE_ADMIN_TOKEN must be at least 16 characters");
    return { token: fromEnv, source: "KEYPLANE_ADMIN_TOKEN", created: false };
  }
  const file = readOrCreate(dataDir, "admin-token", generateAdminToken);
  return { token: file.value, source: file.path, created: file.created };
}
