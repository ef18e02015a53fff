import { decodeAddress, encodeAddress, isAddress } from "@btt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADDRESS_CHARS, parseAddressAt, writeAddressAt } from "./address-scan.ts";
import { addressLike } from "./test-helpers.ts";

const addressBytes = fc.uint8Array({ minLength: 20, maxLength: 20 });

describe("address scanner", () => {
  it("writes the characters encodeAddress gives", () => {
    fc.assert(
      fc.property(addressBytes, fc.nat({ max: 5 }), (bytes, offset) => {
        const src = new Uint8Array(offset + 20);
        src.set(bytes, offset);
        const out = new Uint8Array(ADDRESS_CHARS + 3).fill(0x2e);
        writeAddressAt(src, offset, out, 2);
        expect(Buffer.from(out).toString("latin1")).toBe(`..${encodeAddress(bytes)}.`);
      }),
      { numRuns: 300 },
    );
  });

  it("accepts exactly the addresses decodeAddress accepts, reading the same bytes", () => {
    fc.assert(
      fc.property(addressLike, fc.nat({ max: 5 }), (text, offset) => {
        const src = Buffer.concat([Buffer.alloc(offset, 0x41), Buffer.from(text, "utf8")]);
        const out = new Uint8Array(22);
        const parsed = parseAddressAt(src, offset, out, 1);
        const valid = Buffer.byteLength(text) === ADDRESS_CHARS && isAddress(text);
        expect(parsed).toBe(valid);
        if (valid) expect(Buffer.from(out.subarray(1, 21))).toEqual(Buffer.from(decodeAddress(text)));
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects an address cut off by the end of the bytes", () => {
    const text = Buffer.from(encodeAddress(new Uint8Array(20).fill(7)), "latin1");
    const out = new Uint8Array(20);
    expect(parseAddressAt(text, 0, out, 0)).toBe(true);
    expect(parseAddressAt(text.subarray(0, ADDRESS_CHARS - 1), 0, out, 0)).toBe(false);
  });
});
