import { ADDRESS_BYTES, encodeAddress, sha256 } from "@btt/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accountKey } from "./account-index.ts";
import { ADDRESS_CHARS, ADDRESS_PREFIX_BYTES, parseAddressAt } from "./address-scan.ts";
import { addressLike } from "./test-helpers.ts";

/** The index key as block stores have always computed it (with the byte scanner); keys on disk depend on it. */
function scannerAccountKey(address: string): Buffer {
  const bytes = Buffer.from(address, "latin1");
  const key = Buffer.alloc(ADDRESS_BYTES);
  const ascii = [...address].every((c) => c.charCodeAt(0) < 0x80);
  if (
    ascii &&
    address.length === ADDRESS_CHARS &&
    address.startsWith(ADDRESS_PREFIX_BYTES.toString("latin1")) &&
    parseAddressAt(bytes, 0, key, 0)
  )
    return key;
  return Buffer.from(sha256(Buffer.from(`btt/blockstore/account\n${address}`, "utf8")).subarray(0, 20));
}

describe("accountKey", () => {
  it("is an address's 20 bytes, and a hash of anything else", () => {
    const bytes = new Uint8Array(20).map((_, i) => i * 13);
    expect(Buffer.from(accountKey(encodeAddress(bytes)))).toEqual(Buffer.from(bytes));
    expect(accountKey("not-an-address")).toEqual(
      Buffer.from(sha256(Buffer.from("btt/blockstore/account\nnot-an-address")).subarray(0, 20)),
    );
  });

  it("reads addresses exactly as the byte scanner does", () => {
    const other = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: "grapheme", maxLength: 50 }),
      addressLike.map((a) => a.slice(0, 41)),
      addressLike.map((a) => `${a}q`),
      addressLike.map((a) => `é${a.slice(1)}`),
      addressLike.map((a) => a.toUpperCase()),
    );
    fc.assert(
      fc.property(fc.oneof(addressLike, other), (address) => {
        expect(accountKey(address)).toEqual(scannerAccountKey(address));
      }),
      { numRuns: 1000 },
    );
  });
});
