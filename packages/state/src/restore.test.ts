// prepareRestore: an empty store filled at a later version (state sync) has the same root and
// proofs as the store that reached that version block by block, and carries on from there.
import { afterEach, describe, expect, it } from "vitest";
import { verifyProof } from "./proof.ts";
import { bytes, commit, hex, makeEnv, type TestEnv } from "./test-helpers.ts";

const envs: TestEnv[] = [];
const env = (keepRecent = 3) => {
  const e = makeEnv({ keepRecent, bucketLeaves: 4 });
  envs.push(e);
  return e;
};
afterEach(async () => {
  for (const e of envs.splice(0)) await e.close();
});

/** A history of 5 versions with inserts, updates and deletes; returns the source env. */
function history(): TestEnv {
  const src = env();
  for (let v = 1; v <= 5; v++) {
    const changes: [Uint8Array, Uint8Array | undefined][] = [];
    for (let i = 0; i < 40; i++) changes.push([bytes(`k${v}-${i}`), bytes(`v${v}-${i}`)]);
    if (v > 1) changes.push([bytes(`k${v - 1}-0`), undefined], [bytes(`k1-1`), bytes(`updated-${v}`)]);
    commit(src, changes);
  }
  return src;
}

describe("AuthenticatedState.prepareRestore", () => {
  it("rebuilds version 5 from its entries with the same root, proofs, and a next version that agrees", () => {
    const src = history();
    const entries = [...src.state.iteratePrefix(new Uint8Array(0))];
    const dst = env();
    const p = dst.state.prepareRestore(5, entries);
    expect(hex(p.root)).toBe(hex(src.state.rootHash()));
    dst.root.transactionSync(() => dst.state.write(p));
    expect(dst.state.latestVersion).toBe(5);
    expect(dst.state.oldestVersion).toBe(5);
    expect(() => dst.state.rootHash(4)).toThrow(/VERSION_PRUNED/);
    const key = bytes("k3-7");
    const proved = dst.state.prove(key);
    expect(verifyProof(src.state.rootHash(), key, bytes("v3-7"), proved.proof)).toBe(true);
    // Both go on with the same block: same root; the restored one keeps version 5 readable.
    const next: [Uint8Array, Uint8Array | undefined][] = [
      [bytes("k1-1"), bytes("after")],
      [bytes("k2-2"), undefined],
      [bytes("new"), bytes("x")],
    ];
    expect(hex(commit(dst, next))).toBe(hex(commit(src, next)));
    expect(dst.state.oldestVersion).toBe(5);
    expect(hex(dst.state.getAt(bytes("k1-1"), 5)!)).toBe(hex(bytes("updated-5")));
  });

  it("refuses a store that has versions, and entries without a value", () => {
    const src = history();
    expect(() => src.state.prepareRestore(9, [[bytes("a"), bytes("b")]])).toThrow(/empty store/);
    const dst = env();
    expect(() => dst.state.prepareRestore(0, [[bytes("a"), bytes("b")]])).toThrow(/BAD_VERSION/);
    expect(() => dst.state.prepareRestore(3, [[bytes("a"), undefined as unknown as Uint8Array]])).toThrow(
      /BAD_VALUE/,
    );
  });
});
