import { ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import { ed25519Native } from "../index.js";

// The addon is optional (no Rust toolchain: JS fallback); CI builds it, so there it must load.
const native = ed25519Native;
const describeNative = native || process.env.CI ? describe : describe.skip;

interface Case {
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

/** Packs cases the way the verify worker does: one buffer, four u32 offsets per signature. */
function pack(cases: readonly Case[]): { data: Uint8Array; table: Uint32Array } {
  const size = cases.reduce((n, c) => n + 96 + c.message.length, 0);
  const data = new Uint8Array(size);
  const table = new Uint32Array(cases.length * 4);
  let pos = 0;
  cases.forEach((c, i) => {
    data.set(c.publicKey, pos);
    data.set(c.signature, pos + 32);
    data.set(c.message, pos + 96);
    table.set([pos, pos + 32, pos + 96, pos + 96 + c.message.length], i * 4);
    pos += 96 + c.message.length;
  });
  return { data, table };
}

function signed(i: number): Case {
  const secret = new Uint8Array(32).fill(i + 1);
  const message = new TextEncoder().encode(`transfer ${i}`);
  return { publicKey: ed25519.getPublicKey(secret), message, signature: ed25519.sign(message, secret) };
}

const L = ed25519.Point.Fn.ORDER;

/** Points of small order: [L]·P is in the 8-torsion subgroup for any curve point P. */
function torsionPoints(): Uint8Array[] {
  const seen = new Map<string, Uint8Array>();
  for (let i = 1; seen.size < 8 && i < 256; i++) {
    const encoding = new Uint8Array(32).fill(i);
    encoding[31]! &= 0x7f;
    let p: InstanceType<typeof ed25519.Point>;
    try {
      p = ed25519.Point.fromBytes(encoding);
    } catch {
      continue; // not a curve point
    }
    const t = p.multiplyUnsafe(L - 1n).add(p);
    seen.set(t.toHex(), t.toBytes());
  }
  return [...seen.values()];
}

describeNative("ed25519 native addon (ZIP-215)", () => {
  it("accepts a batch of valid signatures and agrees one by one", () => {
    const cases = Array.from({ length: 40 }, (_, i) => signed(i));
    const { data, table } = pack(cases);
    expect(native!.verifyBatch(data, table)).toBe(true);
    expect([...native!.verifyEach(data, table)]).toEqual(cases.map(() => 1));
  });

  it("rejects a batch with one bad signature and names it", () => {
    const cases = Array.from({ length: 10 }, (_, i) => signed(i));
    cases[7] = { ...cases[7]!, signature: cases[7]!.signature.map((b, j) => (j === 3 ? b ^ 1 : b)) };
    const { data, table } = pack(cases);
    expect(native!.verifyBatch(data, table)).toBe(false);
    expect([...native!.verifyEach(data, table)]).toEqual(cases.map((_, i) => (i === 7 ? 0 : 1)));
  });

  it("rejects a non-canonical S (S + L), as ZIP-215 requires", () => {
    const c = signed(3);
    let s = 0n;
    for (let j = 31; j >= 0; j--) s = (s << 8n) | BigInt(c.signature[32 + j]!);
    s += L;
    const signature = c.signature.slice();
    for (let j = 0; j < 32; j++) signature[32 + j] = Number((s >> BigInt(8 * j)) & 0xffn);
    const { data, table } = pack([{ ...c, signature }]);
    expect(native!.verifyBatch(data, table)).toBe(false);
    expect(ed25519.verify(signature, c.message, c.publicKey, { zip215: true })).toBe(false);
  });

  it("agrees with @noble/curves in ZIP-215 mode on small-order keys and R values", () => {
    const torsion = torsionPoints();
    expect(torsion.length).toBeGreaterThanOrEqual(4);
    // Non-canonical encoding of the identity (y = p + 1): ZIP-215 accepts it.
    const nonCanonicalIdentity = new Uint8Array(32).fill(0xff);
    nonCanonicalIdentity[0] = 0xee;
    nonCanonicalIdentity[31] = 0x7f;
    const points = [...torsion, nonCanonicalIdentity];
    const message = new TextEncoder().encode("edge");
    const cases: Case[] = [];
    for (const a of points)
      for (const r of points)
        cases.push({ publicKey: a, message, signature: Uint8Array.from([...r, ...new Uint8Array(32)]) });
    const { data, table } = pack(cases);
    const each = native!.verifyEach(data, table);
    const expected = cases.map((c) =>
      ed25519.verify(c.signature, c.message, c.publicKey, { zip215: true }) ? 1 : 0,
    );
    expect([...each]).toEqual(expected);
    expect(expected).toContain(1); // small-order A and R with S = 0 pass the cofactored check
    expect(native!.verifyBatch(data, table)).toBe(expected.every((v) => v === 1));
  });

  it("refuses a malformed offset table instead of reading out of bounds", () => {
    const { data, table } = pack([signed(1)]);
    expect(() => native!.verifyBatch(data, table.subarray(0, 3))).toThrow(/multiple of 4/);
    const outside = table.slice();
    outside[3] = data.length + 1;
    expect(() => native!.verifyEach(data, outside)).toThrow(/out of range/);
    const reversed = table.slice();
    reversed[2] = reversed[3]! + 1;
    expect(() => native!.verifyBatch(data, reversed)).toThrow(/ends before/);
  });
});
