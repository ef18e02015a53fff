import { bytesToHex, hexToBytes } from "#platform";
import { BttError } from "./errors.ts";

/** Amounts are unsigned integers below 2^256, written in base 10 without leading zeros. */
export const MAX_AMOUNT = (1n << 256n) - 1n;
const CANONICAL_AMOUNT = /^(0|[1-9][0-9]{0,77})$/;

export function parseAmount(text: string, what = "amount"): bigint {
  if (!CANONICAL_AMOUNT.test(text)) {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} must be a non-negative base-10 integer without leading zeros`,
      {
        [what]: text,
      },
    );
  }
  const value = BigInt(text);
  if (value > MAX_AMOUNT) throw new BttError("INVALID_AMOUNT", `${what} exceeds 2^256-1`, { [what]: text });
  return value;
}

export function checkedAdd(a: bigint, b: bigint): bigint {
  const sum = a + b;
  if (sum > MAX_AMOUNT) throw new BttError("INVALID_AMOUNT", "amount overflow: result exceeds 2^256-1");
  return sum;
}

// Up to 6 bytes (2^48) an amount is exact as a double: most balances and fees take this path,
// which skips the hex string of the general one (every transfer decodes and encodes ~6 amounts).
const SMALL_BYTES = 6;
const SMALL_LIMIT = 2n ** 48n;

/** Minimal big-endian encoding used in state values (zero is the empty string). */
export function encodeAmount(value: bigint): Uint8Array {
  if (value < 0n || value > MAX_AMOUNT) throw new BttError("INVALID_AMOUNT", "amount out of range");
  if (value === 0n) return new Uint8Array(0);
  if (value < SMALL_LIMIT) {
    let n = Number(value);
    let length = 0;
    for (let m = n; m > 0; m = Math.floor(m / 256)) length++;
    const out = new Uint8Array(length);
    for (let i = length - 1; i >= 0; i--) {
      out[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return out;
  }
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return hexToBytes(hex);
}

export function decodeAmount(bytes: Uint8Array | undefined): bigint {
  if (!bytes || bytes.length === 0) return 0n;
  if (bytes.length <= SMALL_BYTES) {
    let n = 0;
    for (let i = 0; i < bytes.length; i++) n = n * 256 + bytes[i]!;
    return BigInt(n);
  }
  return BigInt(`0x${bytesToHex(bytes)}`);
}
