import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { NodeCache } from "./cache.ts";
import { MAX_ID_DEPTH, nibbleAt, pathId, samePrefix } from "./nibbles.ts";
import { popcount16, readU64, writeU64 } from "./node-codec.ts";

describe("nibbles", () => {
  test("pathId is unique per (depth, prefix) and a small integer", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: MAX_ID_DEPTH }),
        fc.nat({ max: MAX_ID_DEPTH }),
        (a, b, da, db) => {
          const same = da === db && samePrefix(a, b, da);
          expect(pathId(a, da) === pathId(b, db)).toBe(same);
          expect(Number.isInteger(pathId(a, da)) && pathId(a, da) < 2 ** 30).toBe(true);
        },
      ),
    );
  });

  test("nibbleAt and samePrefix", () => {
    const h = Uint8Array.of(0xab, 0xcd);
    expect([0, 1, 2, 3].map((i) => nibbleAt(h, i))).toEqual([0xa, 0xb, 0xc, 0xd]);
    expect(samePrefix(h, Uint8Array.of(0xab, 0xc0), 3)).toBe(true);
    expect(samePrefix(h, Uint8Array.of(0xab, 0xc0), 4)).toBe(false);
    expect(samePrefix(h, Uint8Array.of(0xaf), 1)).toBe(true);
    expect(samePrefix(h, Uint8Array.of(0xaf), 2)).toBe(false);
  });
});

describe("node codec", () => {
  test("u64 round-trips all safe integers", () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => {
        const b = new Uint8Array(10);
        writeU64(b, 1, v);
        expect(readU64(b, 1)).toBe(v);
        expect(Buffer.from(b.subarray(1, 9)).readBigUInt64BE()).toBe(BigInt(v));
      }),
    );
  });

  test("popcount16", () => {
    for (let x = 0; x < 0x10000; x += 37)
      expect(popcount16(x)).toBe(x.toString(2).replaceAll("0", "").length);
    expect(popcount16(0xffff)).toBe(16);
  });
});

describe("NodeCache", () => {
  test("hits only for the cached version; delete is version-checked; capacity is respected", () => {
    const c = new NodeCache(3);
    const r = (n: number) => Buffer.from([n]);
    c.set(1, 10, r(1));
    expect(c.get(1, 10)?.[0]).toBe(1);
    expect(c.get(1, 11)).toBeUndefined();
    c.delete(1, 11);
    expect(c.get(1, 10)).toBeDefined();
    c.delete(1, 10);
    expect(c.get(1, 10)).toBeUndefined();
    for (let i = 0; i < 10; i++) c.set(100 + i, 1, r(i));
    expect(c.size).toBe(3);
    expect(c.get(109, 1)?.[0]).toBe(9);
  });

  test("recently used entries survive eviction (second chance)", () => {
    const c = new NodeCache(4);
    for (let i = 0; i < 4; i++) c.set(i, 1, Buffer.from([i]));
    for (let round = 0; round < 20; round++) {
      expect(c.get(0, 1)).toBeDefined(); // hot entry
      c.set(1000 + round, 1, Buffer.from([round]));
    }
    expect(c.get(0, 1)).toBeDefined();
    expect(c.size).toBe(4);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get(0, 1)).toBeUndefined();
  });
});
