// Verification of a packed batch of signature checks: what a verify worker does with each message
// (verify-worker.js), and what the pool does itself when it has no workers (verify-pool.ts).
// Plain JavaScript on purpose: worker threads run without the TypeScript loader.
//
// Batch (one ArrayBuffer, little-endian):
//   u32 requests, then per request: u32 messageBytes, message, u32 checks,
//   then per check: u8 kind, u32 keyBytes, key, u32 signatureBytes, signature.
// Result: an ArrayBuffer with one byte per check in request order: 1 = valid, 0 = invalid.
//
// With the native addon (@btt/ed25519-native) every Ed25519 check of the batch is verified in one
// ZIP-215 batch (about 5x cheaper per signature than one-by-one); only a failed batch is verified
// signature by signature to find the culprits. Without it, each check is verified on its own.
import { ed25519Native } from "@btt/ed25519-native";
import { KIND_ED25519, verifySingleKey } from "../../core/src/single-key-verify.js";

/**
 * @param {ArrayBuffer} buffer
 * @returns {ArrayBuffer} one byte per check
 */
export function verifyPacked(buffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  let pos = 0;
  const u32 = () => {
    const value = view.getUint32(pos, true);
    pos += 4;
    return value;
  };
  /** @param {number} n */
  const skip = (n) => {
    if (n > bytes.length - pos) throw new Error("verify worker: truncated batch");
    pos += n;
    return pos - n;
  };
  const requests = u32();
  /** @type {number[]} */
  const results = [];
  // Ed25519 checks for the native batch: key, signature, message start, message end (offsets).
  /** @type {number[]} */
  const table = [];
  /** @type {number[]} */
  const tableChecks = [];
  for (let r = 0; r < requests; r++) {
    const messageBytes = u32();
    const messageStart = skip(messageBytes);
    const checks = u32();
    for (let c = 0; c < checks; c++) {
      const kind = view.getUint8(pos);
      pos += 1;
      const keyBytes = u32();
      const keyStart = skip(keyBytes);
      const signatureBytes = u32();
      const signatureStart = skip(signatureBytes);
      if (ed25519Native && kind === KIND_ED25519 && keyBytes === 32 && signatureBytes === 64) {
        tableChecks.push(results.length);
        results.push(0);
        table.push(keyStart, signatureStart, messageStart, messageStart + messageBytes);
        continue;
      }
      const key = bytes.subarray(keyStart, keyStart + keyBytes);
      const message = bytes.subarray(messageStart, messageStart + messageBytes);
      const signature = bytes.subarray(signatureStart, signatureStart + signatureBytes);
      results.push(verifySingleKey(kind, key, message, signature) ? 1 : 0);
    }
  }
  if (pos !== bytes.length) throw new Error("verify worker: trailing bytes in batch");
  if (ed25519Native && table.length > 0) {
    const offsets = Uint32Array.from(table);
    const each = ed25519Native.verifyBatch(bytes, offsets)
      ? undefined
      : ed25519Native.verifyEach(bytes, offsets);
    for (let i = 0; i < tableChecks.length; i++) results[tableChecks[i] ?? 0] = each ? (each[i] ?? 0) : 1;
  }
  const out = new ArrayBuffer(results.length);
  new Uint8Array(out).set(results);
  return out;
}
