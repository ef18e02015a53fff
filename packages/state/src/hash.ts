import { hash } from "node:crypto";

/** SHA-256. `crypto.hash` is ~25% faster than `createHash()` for the short inputs hashed here. */
export function sha256(data: Uint8Array): Buffer {
  return hash("sha256", data, "buffer");
}

/**
 * SHA-256 as a 32-char latin1 string (one char per byte). In hot paths this is ~2x cheaper than
 * a Buffer digest: no ArrayBuffer per hash, and strings compare with ===. Write it into a record
 * with `buf.write(s, off, 32, "latin1")`.
 */
export function sha256Str(data: Uint8Array): string {
  return hash("sha256", data, "binary"); // "binary" = latin1
}

/** Root of the empty tree. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
