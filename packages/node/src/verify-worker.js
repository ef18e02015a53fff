// Signature verification worker (see verify-pool.ts). Plain JavaScript on purpose: worker threads
// run without the TypeScript loader, so this file and what it imports must be JavaScript.
//
// Request (one transferred ArrayBuffer, little-endian):
//   u32 requests, then per request: u32 messageBytes, message, u32 checks,
//   then per check: u8 kind, u32 keyBytes, key, u32 signatureBytes, signature.
// Reply: { id, results } where results is an ArrayBuffer (transferred) with one byte per check in
// request order: 1 = valid, 0 = invalid, or not checked because an earlier check of the same
// request failed (the request fails either way).
import { parentPort } from "node:worker_threads";
import { verifySingleKey } from "../../core/src/single-key-verify.js";

if (!parentPort) throw new Error("verify-worker.js must run in a worker thread");
const port = parentPort;

/**
 * @param {ArrayBuffer} buffer
 * @returns {ArrayBuffer} one byte per check
 */
function verifyBatch(buffer) {
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  let pos = 0;
  const u32 = () => {
    const value = view.getUint32(pos, true);
    pos += 4;
    return value;
  };
  /** @param {number} n */
  const take = (n) => {
    if (n > bytes.length - pos) throw new Error("verify worker: truncated batch");
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const requests = u32();
  /** @type {number[]} */
  const results = [];
  for (let r = 0; r < requests; r++) {
    const message = take(u32());
    const checks = u32();
    let ok = true;
    for (let c = 0; c < checks; c++) {
      const kind = view.getUint8(pos);
      pos += 1;
      const key = take(u32());
      const signature = take(u32());
      const valid = ok && verifySingleKey(kind, key, message, signature);
      if (!valid) ok = false;
      results.push(valid ? 1 : 0);
    }
  }
  if (pos !== bytes.length) throw new Error("verify worker: trailing bytes in batch");
  const out = new ArrayBuffer(results.length);
  new Uint8Array(out).set(results);
  return out;
}

port.on("message", (/** @type {{ id: number; buffer: ArrayBuffer }} */ msg) => {
  const results = verifyBatch(msg.buffer);
  port.postMessage({ id: msg.id, results }, [results]);
});
