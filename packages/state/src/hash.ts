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
