import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeAmount, encodeAmount, MAX_AMOUNT } from "./amount.ts";

/** The encoding by definition: minimal big-endian bytes, zero as no bytes. */
function reference(value: bigint): Buffer {
  if (value === 0n) return Buffer.alloc(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex");
}

describe("amount encoding", () => {
  const amounts = fc.oneof(
    fc.bigInt({ min: 0n, max: 2n ** 48n + 10n }),
    fc.bigInt({ min: 0n, max: MAX_AMOUNT }),
    fc.constantFrom(0n, 1n, 255n, 256n, 2n ** 48n - 1n, 2n ** 48n, MAX_AMOUNT),
  );

  it("is the minimal big-endian encoding, and decodes back", () => {
    fc.assert(
      fc.property(amounts, (value) => {
        const bytes = encodeAmount(value);
        expect(Buffer.from(bytes)).toEqual(reference(value));
        expect(decodeAmount(bytes)).toBe(value);
      }),
      { numRuns: 2000 },
    );
  });

  it("decodes leading zero bytes and refuses amounts out of range", () => {
    expect(decodeAmount(Uint8Array.of(0, 0, 1, 0))).toBe(256n);
    expect(decodeAmount(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1))).toBe(1n);
    expect(decodeAmount(undefined)).toBe(0n);
    expect(() => encodeAmount(-1n)).toThrow(/out of range/);
    expect(() => encodeAmount(MAX_AMOUNT + 1n)).toThrow(/out of range/);
  });
});
