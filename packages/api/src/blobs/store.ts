// Where the gateway keeps encrypted blobs, by the SHA-256 of their bytes. The filesystem store
// is the default; an S3-compatible store implements the same interface later.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BttError, sha256, toHex } from "@btt/core";

export const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface BlobStore {
  /** Stores bytes under their hash; refuses bytes that do not hash to `sha256`. Idempotent. */
  put(sha256Hex: string, bytes: Uint8Array): Promise<{ created: boolean }>;
  get(sha256Hex: string): Promise<Uint8Array | undefined>;
  has(sha256Hex: string): Promise<boolean>;
}

/** The hash check every store applies before writing. */
export function checkBlobHash(sha256Hex: string, bytes: Uint8Array): void {
  if (!SHA256_HEX.test(sha256Hex))
    throw new BttError("INVALID_REQUEST", "a blob's name is its SHA-256: 64 lowercase hex digits", {
      field: "sha256",
    });
  const actual = toHex(sha256(bytes));
  if (actual !== sha256Hex) {
    throw new BttError("INVALID_REQUEST", `the bytes hash to ${actual}, not ${sha256Hex}`, {
      field: "body",
      sha256: actual,
    });
  }
}

/** Blobs as files `<dir>/<first 2 hex>/<hash>`, written to a temp name and renamed (no torn reads). */
export class FsBlobStore implements BlobStore {
  constructor(readonly dir: string) {}

  private path(sha256Hex: string): string {
    if (!SHA256_HEX.test(sha256Hex))
      throw new BttError("INVALID_REQUEST", "not a SHA-256 name", { field: "sha256" });
    return join(this.dir, sha256Hex.slice(0, 2), sha256Hex);
  }

  async put(sha256Hex: string, bytes: Uint8Array): Promise<{ created: boolean }> {
    checkBlobHash(sha256Hex, bytes);
    if (await this.has(sha256Hex)) return { created: false };
    const path = this.path(sha256Hex);
    await mkdir(join(this.dir, sha256Hex.slice(0, 2)), { recursive: true });
    const tmp = `${path}.${toHex(randomBytes(6))}.tmp`;
    try {
      await writeFile(tmp, bytes, { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    return { created: true };
  }

  async get(sha256Hex: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(sha256Hex)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async has(sha256Hex: string): Promise<boolean> {
    try {
      return (await stat(this.path(sha256Hex))).isFile();
    } catch {
      return false;
    }
  }
}
