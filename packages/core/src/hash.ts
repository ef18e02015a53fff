import { createHash, hash } from "node:crypto";

export function sha256(...parts: Uint8Array[]): Uint8Array {
  // The one-shot hash is about twice as fast for the common single-buffer case.
  if (parts.length === 1) return hash("sha256", parts[0]!, "buffer");
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error("not a hex string");
  return Buffer.from(hex, "hex");
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

export const utf8 = new TextEncoder();
