import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { open } from "lmdb";
import { describe, expect, test } from "vitest";
import { Batch, sortByKeyHash } from "./batch.ts";
import { BucketCache } from "./bucket-cache.ts";
import { NodeCache } from "./cache.ts";
import { sha256 } from "./hash.ts";
import { PARALLEL_MIN } from "./hasher.ts";
import { buildNode, ENTRY, entryNibble, listHash, patchNode } from "./leaf-list.ts";
import { MAX_ID_DEPTH, nibbleAt, pathId, prefixRange, samePrefix } from "./nibbles.ts";
import { popcount16, readU64, writeU64 } from "./node-codec.ts";
import { scanUndo, UndoWriter, undoEntry } from "./undo.ts";

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

describe("batch hashing", () => {
  test("a batch large enough for the worker thread gets the same hashes as computed directly", () => {
    const n = PARALLEL_MIN + 1000;
    const changes = Array.from({ length: n }, (_, i): [Uint8Array, Uint8Array | undefined] => [
      Buffer.from(`key-${i}`),
      i % 10 === 3 ? undefined : Buffer.from(`value-${i}`.repeat(1 + (i % 3))),
    ]);
    const b = Batch.of(changes);
    const byKey = new Map(changes.map(([k, v]) => [Buffer.from(k).toString(), v]));
    let prev: Buffer = Buffer.alloc(32);
    for (let c = 0; c < n; c++) {
      const key = b.key(c);
      const kh = sha256(key);
      expect(b.keyHash(c).equals(kh)).toBe(true);
      expect(Buffer.compare(prev, kh)).toBeLessThan(0);
      prev = kh;
      const v = byKey.get(key.toString());
      expect(b.del[c]).toBe(v === undefined ? 1 : 0);
      if (v !== undefined) {
        expect(b.value(c).equals(v)).toBe(true);
        const leaf = sha256(Buffer.concat([Buffer.from([0]), kh, sha256(v)]));
        expect(b.ents.subarray(ENTRY * c + 32, ENTRY * c + 64).equals(leaf)).toBe(true);
      }
      // What goes to LMDB is never shared memory.
      expect(key.buffer instanceof SharedArrayBuffer).toBe(false);
    }
  });
});

describe("batch sorting", () => {
  test("equal first 32 bits are ordered by the full key hash", () => {
    const hashes = [
      "00000001ff",
      "00000001aa",
      "0000000100",
      "ffffffff00",
      "00000000ff",
      "00000001ab",
      "0000000000",
    ].map((h) => Buffer.from(h.padEnd(64, "0"), "hex"));
    const raw = Buffer.alloc(ENTRY * hashes.length);
    hashes.forEach((h, i) => {
      h.copy(raw, ENTRY * i);
    });
    const order = [...sortByKeyHash(raw, hashes.length)];
    const sorted = hashes.map((_, i) => i).sort((a, b) => Buffer.compare(hashes[a]!, hashes[b]!));
    expect(order).toEqual(sorted);
  });
});

describe("prefixRange", () => {
  test("covers exactly the key hashes with the prefix", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.nat({ max: 64 }),
        (h, other, depth) => {
          const { start, end } = prefixRange(h, depth);
          const o = Buffer.from(other);
          const inside = Buffer.compare(o, start) >= 0 && (end === null || Buffer.compare(o, end) < 0);
          expect(inside).toBe(samePrefix(h, o, depth));
          expect(samePrefix(h, start, depth)).toBe(true);
        },
      ),
    );
    const all = Buffer.alloc(32, 0xff);
    expect(prefixRange(all, 3).end).toBeNull();
    expect(prefixRange(all, 0).end).toBeNull();
  });
});

/** Leaf list of the given key hashes (sorted) with made-up leaf hashes. */
function listOf(khs: Buffer[], salt: string): Buffer {
  const sorted = [...khs].sort(Buffer.compare);
  const list = Buffer.alloc(ENTRY * sorted.length);
  sorted.forEach((kh, i) => {
    kh.copy(list, ENTRY * i);
    sha256(Buffer.concat([kh, Buffer.from(salt)])).copy(list, ENTRY * i + 32);
  });
  return list;
}

describe("leaf lists", () => {
  test("patchNode after a change equals a full buildNode, or reports a new shape", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 32, maxLength: 32 }), {
          minLength: 3,
          maxLength: 20,
          selector: (a) => Buffer.from(a).toString("hex"),
        }),
        fc.nat(),
        (raw, pick) => {
          // Force a common first nibble: the node over these keys sits at depth 1.
          const khs = raw.map((a) => {
            const b = Buffer.from(a);
            b[0] = 0x50 | (b[0]! & 0x0f);
            return b;
          });
          const uniq = [...new Map(khs.map((k) => [k.toString("hex"), k])).values()];
          if (uniq.length < 3) return;
          const before = listOf(uniq, "a");
          const node = Buffer.alloc(3 + 32 * 16);
          const len = buildNode(before, 1, node, 0);
          expect(sha256(node.subarray(0, len)).toString("latin1")).toBe(listHash(before, 1));
          // Change the value of one key: same shape, only its child re-hashed.
          const i = pick % uniq.length;
          const after = Buffer.from(before);
          sha256(Buffer.from(`new${pick}`)).copy(after, ENTRY * i + 32);
          const changed = 1 << entryNibble(after, i, 1);
          const out = Buffer.alloc(3 + 32 * 16);
          const pl = patchNode(after, 1, node.subarray(0, len), changed, out, 0);
          const full = Buffer.alloc(3 + 32 * 16);
          const fl = buildNode(after, 1, full, 0);
          expect(out.subarray(0, pl).equals(full.subarray(0, fl))).toBe(true);
          // Dropping a key whose nibble group is a single leaf changes the shape.
          const nib1 = (k: Buffer) => k[0]! & 0x0f; // nibble 1: where the node branches
          const lone = [...Array(uniq.length).keys()].find(
            (j) => uniq.filter((k) => nib1(k) === nib1(uniq[j]!)).length === 1,
          );
          if (lone !== undefined) {
            const rest = listOf(
              uniq.filter((_, j) => j !== lone),
              "a",
            );
            expect(patchNode(rest, 1, node.subarray(0, len), 1 << nib1(uniq[lone]!), out, 0)).toBe(-1);
          }
        },
      ),
    );
  });
});

describe("BucketCache", () => {
  const hashOf = (s: string) => sha256(Buffer.from(s));

  test("hits only with the expected hash; set replaces; delete and clear", () => {
    const c = new BucketCache(8);
    const list = listOf([hashOf("x"), hashOf("y")], "v");
    const node = Buffer.from([1, 2, 3]);
    c.set(5, hashOf("h1").toString("latin1"), list, node);
    expect(c.get(5, hashOf("h2"), 0)).toBeUndefined();
    const hit = c.get(5, hashOf("h1"), 0)!;
    expect(hit.equals(list)).toBe(true);
    expect(c.node!.equals(node)).toBe(true);
    const bigger = listOf([hashOf("x"), hashOf("y"), hashOf("z")], "w");
    c.set(5, hashOf("h3").toString("latin1"), bigger, Buffer.alloc(0));
    expect(c.get(5, hashOf("h1"), 0)).toBeUndefined();
    expect(c.get(5, hashOf("h3"), 0)!.equals(bigger)).toBe(true);
    expect(c.size).toBe(1);
    c.delete(5);
    expect(c.get(5, hashOf("h3"), 0)).toBeUndefined();
    c.set(6, hashOf("h").toString("latin1"), list, node);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get(6, hashOf("h"), 0)).toBeUndefined();
  });

  test("capacity is respected and freed blocks are reused without corrupting others", () => {
    const c = new BucketCache(16);
    const lists = new Map<number, Buffer>();
    for (let i = 0; i < 200; i++) {
      const n = 1 + (i % 9);
      const list = listOf(
        Array.from({ length: n }, (_, j) => hashOf(`${i}.${j}`)),
        `${i}`,
      );
      c.set(i, hashOf(`h${i}`).toString("latin1"), list, Buffer.from([i & 0xff]));
      lists.set(i, list);
      expect(c.size).toBeLessThanOrEqual(16);
    }
    let hits = 0;
    for (const [i, list] of lists) {
      const got = c.get(i, hashOf(`h${i}`), 0);
      if (got === undefined) continue;
      hits++;
      expect(got.equals(list)).toBe(true);
      expect(c.node![0]).toBe(i & 0xff);
    }
    expect(hits).toBe(16);
  });
});

describe("undo log records", () => {
  test("entries are found by (version, key hash) and scanned by range", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "btt-undo-test-"));
    const root = open({ path: dir });
    try {
      const db = root.openDB<Buffer, Buffer>({ name: "u", encoding: "binary", keyEncoding: "binary" });
      const khs = Array.from({ length: 300 }, (_, i) => sha256(Buffer.from(`k${i}`))).sort(Buffer.compare);
      const oldValue = (i: number) => (i % 7 === 0 ? null : Buffer.alloc(i % 50, i));
      root.transactionSync(() => {
        for (const version of [3, 4]) {
          const w = new UndoWriter(version);
          khs.forEach((kh, i) => {
            if ((i + version) % 2 === 0) w.add(kh, 0, oldValue(i));
          });
          w.finish();
          expect(w.keys.length).toBeGreaterThan(1); // several records per version
          for (let j = 0; j < w.keys.length; j++) db.putSync(w.keys[j]!, w.records[j]!);
        }
      });
      khs.forEach((kh, i) => {
        for (const version of [3, 4]) {
          const got = undoEntry(db, version, kh);
          if ((i + version) % 2 !== 0) expect(got).toBeUndefined();
          else if (oldValue(i) === null) expect(got).toBeNull();
          else expect(got!.equals(oldValue(i)!)).toBe(true);
        }
      });
      expect(undoEntry(db, 5, khs[0]!)).toBeUndefined();
      const seen: string[] = [];
      scanUndo(db, 3, khs[10]!, khs[200]!, (kh) => seen.push(kh.toString("hex")));
      const want = khs
        .map((kh, i) => [kh, i] as const)
        .filter(([, i]) => i >= 10 && i < 200 && (i + 3) % 2 === 0)
        .map(([kh]) => kh.toString("hex"));
      expect(seen).toEqual(want);
    } finally {
      await root.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
