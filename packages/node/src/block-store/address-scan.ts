// bech32 "btt1…" addresses (prefix + 32 data chars + 6 checksum chars) read from and written into
// raw bytes, without allocations.
//
// Why not @btt/core's decodeAddress/encodeAddress: block records (record.ts) cut every address
// out of a block's tx and result bytes before compression and put the characters back on
// decoding. That means testing every "btt1" found in megabytes of arbitrary bytes, most of them
// not addresses, and writing thousands of addresses straight into a buffer; core works on strings,
// throws on invalid input and allocates per call. Wherever the store is handed an address string
// (the per-account index), it uses core instead. The tests check both agree.
import { ADDRESS_BYTES, ADDRESS_PREFIX as ADDRESS_HRP } from "@btt/core";

const BECH32_CHARS = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const BECH32_CODES = Uint8Array.from(BECH32_CHARS, (c) => c.charCodeAt(0));
const BECH32_VALUES = new Int8Array(256).fill(-1);
for (let i = 0; i < 32; i++) BECH32_VALUES[BECH32_CODES[i]!] = i;
const BECH32_GENERATORS = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** XOR of the generators selected by the 5 bits that leave the checksum state. */
const BECH32_STEP = new Int32Array(32);
for (let top = 0; top < 32; top++) {
  let x = 0;
  for (let i = 0; i < 5; i++) if ((top >> i) & 1) x ^= BECH32_GENERATORS[i]!;
  BECH32_STEP[top] = x;
}

function polymodStep(chk: number, value: number): number {
  return (((chk & 0x1ffffff) << 5) ^ value ^ BECH32_STEP[chk >>> 25]!) >>> 0;
}

/** "btt1": what every address starts with. */
export const ADDRESS_PREFIX_BYTES = Buffer.from(`${ADDRESS_HRP}1`, "latin1");
/** 5-bit data characters of 20 bytes. */
const DATA_CHARS = 32;
const CHECKSUM_CHARS = 6;
/** Characters of an address: 42. */
export const ADDRESS_CHARS = ADDRESS_PREFIX_BYTES.length + DATA_CHARS + CHECKSUM_CHARS;
/** Checksum state after the expanded human-readable part. */
const HRP_STATE = (() => {
  let chk = 1;
  for (let i = 0; i < ADDRESS_HRP.length; i++) chk = polymodStep(chk, ADDRESS_HRP.charCodeAt(i) >> 5);
  chk = polymodStep(chk, 0);
  for (let i = 0; i < ADDRESS_HRP.length; i++) chk = polymodStep(chk, ADDRESS_HRP.charCodeAt(i) & 31);
  return chk;
})();

/**
 * When src[pos, pos + 42) is a "btt1…" address with a valid checksum, writes its 20 bytes into
 * out at outPos and returns true. Callers have checked the "btt1" prefix.
 */
export function parseAddressAt(src: Uint8Array, pos: number, out: Uint8Array, outPos: number): boolean {
  if (pos + ADDRESS_CHARS > src.length) return false;
  let chk = HRP_STATE;
  let acc = 0;
  let bits = 0;
  let o = outPos;
  const start = pos + ADDRESS_PREFIX_BYTES.length;
  for (let i = 0; i < DATA_CHARS + CHECKSUM_CHARS; i++) {
    const v = BECH32_VALUES[src[start + i]!]!;
    if (v < 0) return false;
    chk = polymodStep(chk, v);
    if (i < DATA_CHARS) {
      acc = ((acc << 5) | v) & 0xfff;
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out[o++] = (acc >>> bits) & 0xff;
      }
    }
  }
  return chk === 1;
}

/** Writes the 42 characters of the address whose 20 bytes are src[srcPos, srcPos + 20). */
export function writeAddressAt(src: Uint8Array, srcPos: number, out: Uint8Array, pos: number): void {
  out.set(ADDRESS_PREFIX_BYTES, pos);
  let o = pos + ADDRESS_PREFIX_BYTES.length;
  let chk = HRP_STATE;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < ADDRESS_BYTES; i++) {
    acc = ((acc << 8) | src[srcPos + i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      const v = (acc >>> bits) & 31;
      chk = polymodStep(chk, v);
      out[o++] = BECH32_CODES[v]!;
    }
  }
  for (let i = 0; i < CHECKSUM_CHARS; i++) chk = polymodStep(chk, 0);
  chk ^= 1;
  for (let i = 0; i < CHECKSUM_CHARS; i++) out[o++] = BECH32_CODES[(chk >>> (5 * (5 - i))) & 31]!;
}
