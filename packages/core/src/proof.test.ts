import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeProof, encodeProof, MalformedProofError, type MerkleProof, verifyProof } from "./proof.ts";

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const stepArb = fc
  .integer({ min: 1, max: 0xffff })
  .chain((bitmap) => {
    let n = 0;
    for (let b = bitmap; b; b &= b - 1) n++;
    return fc.tuple(fc.constant(bitmap), fc.array(hash32, { minLength: n - 1, maxLength: n - 1 }));
  })
  .map(([bitmap, siblings]) => ({ bitmap, siblings }));
const proofArb: fc.Arbitrary<MerkleProof> = fc.oneof(
  fc.array(stepArb, { maxLength: 6 }).map((steps) => ({ steps, terminal: { type: "key" as const } })),
  fc.tuple(hash32, hash32, fc.array(stepArb, { maxLength: 6 })).map(([keyHash, valueHash, steps]) => ({
    steps,
    terminal: { type: "other" as const, keyHash, valueHash },
  })),
);

describe("proof codec", () => {
  test("decode(encode(p)) round-trips", () => {
    fc.assert(
      fc.property(proofArb, (p) => {
        const enc = encodeProof(p);
        expect(encodeProof(decodeProof(enc))).toEqual(enc);
        expect(decodeProof(enc)).toEqual(p);
      }),
    );
  });

  test("decode is strict: any input either re-encodes to itself or throws PROOF_MALFORMED", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        let p: MerkleProof;
        try {
          p = decodeProof(b);
        } catch (e) {
          expect(e).toBeInstanceOf(MalformedProofError);
          expect((e as MalformedProofError).code).toBe("PROOF_MALFORMED");
          return;
        }
        expect(Buffer.from(encodeProof(p)).equals(Buffer.from(b))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("truncations and extensions of a valid encoding are rejected", () => {
    fc.assert(
      fc.property(proofArb, fc.uint8Array({ minLength: 1, maxLength: 40 }), (p, extra) => {
        const enc = encodeProof(p);
        for (let n = 0; n < enc.length; n++)
          expect(() => decodeProof(enc.subarray(0, n))).toThrow(MalformedProofError);
        expect(() => decodeProof(Uint8Array.of(...enc, ...extra))).toThrow(MalformedProofError);
      }),
      { numRuns: 50 },
    );
  });

  test("verifyProof returns false (never throws) on structurally wrong proofs", () => {
    const root = new Uint8Array(32);
    const k = Uint8Array.of(1);
    const bad: MerkleProof[] = [
      { steps: [{ bitmap: 0, siblings: [] }], terminal: { type: "key" } },
      { steps: [{ bitmap: 3, siblings: [new Uint8Array(5)] }], terminal: { type: "key" } },
      { steps: [{ bitmap: 3, siblings: [] }], terminal: { type: "empty" } },
      { steps: [], terminal: { type: "other", keyHash: new Uint8Array(3), valueHash: new Uint8Array(32) } },
      { steps: Array.from({ length: 65 }, () => ({ bitmap: 1, siblings: [] })), terminal: { type: "key" } },
    ];
    for (const p of bad) {
      expect(verifyProof(root, k, undefined, p)).toBe(false);
      expect(verifyProof(root, k, k, p)).toBe(false);
    }
    // The empty tree: no steps, empty end, zero root.
    expect(verifyProof(root, k, undefined, { steps: [], terminal: { type: "empty" } })).toBe(true);
    expect(verifyProof(root, k, k, { steps: [], terminal: { type: "empty" } })).toBe(false);
    expect(verifyProof(new Uint8Array(31), k, undefined, { steps: [], terminal: { type: "empty" } })).toBe(
      false,
    );
  });
});
