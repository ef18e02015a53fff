import { hexToBytes } from "#platform";

// SHA-256, hex and byte comparison come from the platform: node:crypto and Buffer in the node,
// @noble/hashes in a browser bundle (see src/platform/).
export { bytesEqual, bytesToHex as toHex, sha256 } from "#platform";

export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error("not a hex string");
  return hexToBytes(hex);
}

export const utf8 = new TextEncoder();
