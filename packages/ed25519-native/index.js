// Loads the addon built by build.js, or exports undefined when it was not built.
import { createRequire } from "node:module";

/**
 * @typedef {object} Ed25519Native
 * @property {(data: Uint8Array, table: Uint32Array) => boolean} verifyBatch
 *   true when every signature of the table is valid (ZIP-215); four u32 per signature:
 *   key offset, signature offset, message start, message end, all into `data`
 * @property {(data: Uint8Array, table: Uint32Array) => Uint8Array} verifyEach
 *   one byte per signature: 1 valid, 0 invalid
 */

/** @type {Ed25519Native | undefined} */
let loaded;
try {
  loaded = createRequire(import.meta.url)("./btt_ed25519.node");
} catch {
  loaded = undefined;
}

export const ed25519Native = loaded;
