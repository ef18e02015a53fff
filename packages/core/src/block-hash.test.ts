import { describe, expect, it } from "vitest";
import { TxMerkleTree, txMerkleRoot } from "./block-hash.ts";
import { sha256 } from "./hash.ts";

describe("txMerkleRoot", () => {
  function reference(leaves: Uint8Array[]): Uint8Array {
    if (leaves.length === 1) return sha256(Buffer.concat([Buffer.from([0]), leaves[0]!]));
    let k = 1;
    while (k * 2 < leaves.length) k *= 2;
    return sha256(
      Buffer.concat([Buffer.from([1]), reference(leaves.slice(0, k)), reference(leaves.slice(k))]),
    );
  }

  it("is SHA-256 of nothing when empty and follows RFC 6962 otherwise", () => {
    expect(Buffer.from(txMerkleRoot([]))).toEqual(Buffer.from(sha256(new Uint8Array(0))));
    for (let n = 1; n <= 33; n++) {
      const leaves = Array.from({ length: n }, (_, i) => sha256(Buffer.from(`tx ${i}`)));
      expect(Buffer.from(txMerkleRoot(leaves))).toEqual(Buffer.from(reference(leaves)));
    }
  });

  it("is built one tx at a time, with the root of every prefix on the way", () => {
    const leaves = Array.from({ length: 40 }, (_, i) => sha256(Buffer.from(`tx ${i}`)));
    const tree = new TxMerkleTree();
    for (let n = 1; n <= leaves.length; n++) {
      tree.add(leaves[n - 1]!);
      expect(tree.size).toBe(n);
      expect(Buffer.from(tree.root())).toEqual(Buffer.from(reference(leaves.slice(0, n))));
    }
  });

  it("depends on order", () => {
    const a = sha256(Buffer.from("a"));
    const b = sha256(Buffer.from("b"));
    expect(Buffer.from(txMerkleRoot([a, b]))).not.toEqual(Buffer.from(txMerkleRoot([b, a])));
  });
});
