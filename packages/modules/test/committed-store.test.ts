import { describe, expect, it } from "vitest";
import { shareKey } from "../src/framework/shared-keys.ts";
import { BranchStore, CommittedStore } from "../src/framework/store.ts";

const bytes = (s: string) => Buffer.from(s, "utf8");

/** A committed state in a Map that counts how often it is read. */
function reader(initial: Record<string, string>) {
  const data = new Map(Object.entries(initial).map(([k, v]) => [k, bytes(v)]));
  const counter = { reads: 0 };
  return {
    data,
    counter,
    get(key: Uint8Array) {
      counter.reads++;
      return data.get(Buffer.from(key).toString("utf8"));
    },
    *iteratePrefix(): Iterable<[Uint8Array, Uint8Array]> {},
  };
}

describe("CommittedStore", () => {
  it("keeps its cache true through a commit's writes, without reading them back", () => {
    const state = reader({ a: "1", b: "2" });
    const store = new CommittedStore(state);
    expect(store.get(bytes("a"))).toEqual(bytes("1"));
    expect(store.get(bytes("b"))).toEqual(bytes("2"));
    expect(state.counter.reads).toBe(2);
    const generation = store.generation;

    // The block wrote a, deleted b and created c; the state under the store says the same.
    state.data.set("a", bytes("10"));
    state.data.delete("b");
    state.data.set("c", bytes("3"));
    store.committedChanges([
      [bytes("a"), bytes("10")],
      [bytes("b"), undefined],
      [bytes("c"), bytes("3")],
    ]);
    expect(store.generation).toBe(generation + 1);
    expect(store.get(bytes("a"))).toEqual(bytes("10"));
    expect(store.get(bytes("b"))).toBeUndefined();
    expect(store.get(bytes("c"))).toEqual(bytes("3"));
    expect(state.counter.reads).toBe(2);
  });

  it("reads again after invalidate(), and stays within its limit", () => {
    const state = reader({ a: "1", b: "2", c: "3" });
    const store = new CommittedStore(state, 2);
    store.get(bytes("a"));
    store.invalidate();
    expect(store.get(bytes("a"))).toEqual(bytes("1"));
    expect(state.counter.reads).toBe(2);
    // A commit larger than the cache leaves a cache that still answers right.
    store.committedChanges([
      [bytes("a"), bytes("4")],
      [bytes("b"), bytes("5")],
      [bytes("c"), bytes("6")],
    ]);
    state.data.set("a", bytes("4"));
    state.data.set("b", bytes("5"));
    state.data.set("c", bytes("6"));
    expect([store.get(bytes("a")), store.get(bytes("b")), store.get(bytes("c"))]).toEqual([
      bytes("4"),
      bytes("5"),
      bytes("6"),
    ]);
  });
});

describe("shared keys", () => {
  it("address the same entries as fresh arrays of the same bytes, through every layer", () => {
    const state = reader({ k1: "1" });
    const committed = new CommittedStore(state);
    const shared = shareKey(bytes("k1"));
    const block = new BranchStore(committed);
    const tx = new BranchStore(block);
    expect(tx.get(shared)).toEqual(bytes("1"));
    expect(tx.get(bytes("k1"))).toEqual(bytes("1"));
    tx.set(shared, bytes("2"));
    expect(tx.get(bytes("k1"))).toEqual(bytes("2"));
    tx.set(bytes("k1"), bytes("3"));
    expect(tx.get(shared)).toEqual(bytes("3"));
    tx.writeToParent();
    expect(block.changes()).toHaveLength(1);
    expect(block.get(shared)).toEqual(bytes("3"));
    // Another shared key of other bytes is another entry.
    expect(block.get(shareKey(bytes("k2")))).toBeUndefined();
    expect(state.counter.reads).toBe(2);
  });
});

describe("BranchStore savepoints", () => {
  it("takes back exactly the writes made since the savepoint, and keeps them on release", () => {
    const committed = new CommittedStore(reader({ a: "1", b: "2" }));
    const block = new BranchStore(committed);
    block.set(bytes("a"), bytes("10"));
    block.savepoint();
    block.set(bytes("a"), bytes("11"));
    block.set(bytes("a"), bytes("12"));
    block.delete(bytes("b"));
    block.set(bytes("c"), bytes("3"));
    expect(() => block.savepoint()).toThrow(/already open/);
    block.rollback();
    expect(block.get(bytes("a"))).toEqual(bytes("10"));
    expect(block.get(bytes("b"))).toEqual(bytes("2"));
    expect(block.get(bytes("c"))).toBeUndefined();
    expect(block.changes()).toEqual([[bytes("a"), bytes("10")]]);
    block.savepoint();
    block.set(bytes("c"), bytes("4"));
    block.release();
    expect(block.get(bytes("c"))).toEqual(bytes("4"));
    expect(block.changes()).toHaveLength(2);
    expect(() => block.rollback()).toThrow(/no savepoint/);
  });
});
