import fc from "fast-check";
import { ABORT } from "lmdb";
import { describe, expect, test } from "vitest";
import { StateError } from "./errors.ts";
import { decodeProof, encodeProof, verifyProof } from "./proof.ts";
import { AuthenticatedState, type AuthenticatedStateOptions } from "./store.ts";
import { bytes, commit, hex, keyPool, makeEnv, referenceRoot, sharedNibbles } from "./test-helpers.ts";

const pool = keyPool();
const P = pool.length;

const valueArb = fc.uint8Array({ minLength: 0, maxLength: 40 });
/** A change: pool index and a value, or undefined (delete) about a quarter of the time. */
const changeArb = fc.tuple(fc.nat({ max: P - 1 }), fc.option(valueArb, { nil: undefined, freq: 3 }));
const batchesArb = fc.array(fc.array(changeArb, { maxLength: 14 }), { minLength: 1, maxLength: 6 });

function dedupe(batch: [number, Uint8Array | undefined][]): [Uint8Array, Uint8Array | undefined][] {
  const last = new Map<number, Uint8Array | undefined>();
  for (const [i, v] of batch) last.set(i, v);
  return [...last].map(([i, v]) => [pool[i]!, v]);
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof StateError) return e.code;
    throw e;
  }
  return undefined;
}

function nodeCount(env: ReturnType<typeof makeEnv>): number {
  return env.root.openDB({ name: "state.nodes", encoding: "binary", keyEncoding: "binary" }).getKeysCount();
}

/**
 * Storage shapes under test: every internal node stored; buckets of <= 2 keys with the caches
 * off (every bucket is rebuilt from the key index, and for older versions the undo log); the
 * default (the small test trees are then a single bucket).
 */
const SHAPES: { name: string; shape: Partial<AuthenticatedStateOptions> }[] = [
  { name: "bucketLeaves 1", shape: { bucketLeaves: 1 } },
  { name: "bucketLeaves 2, no caches", shape: { bucketLeaves: 2, nodeCacheSize: 0 } },
  { name: "defaults", shape: {} },
];

describe.each(SHAPES)("storage: $name", ({ shape }) => {
  describe("AuthenticatedState against a model", () => {
    test("random batches: values match a Map, roots match the reference, every proof verifies", async () => {
      await fc.assert(
        fc.asyncProperty(
          batchesArb,
          fc.array(fc.uint8Array({ minLength: 1, maxLength: 8 }), { maxLength: 5 }),
          async (batches, extraAbsent) => {
            const env = makeEnv({ ...shape, keepRecent: 2 });
            try {
              const model = new Map<string, Uint8Array>();
              for (const batch of batches) {
                const changes = dedupe(batch);
                const root = commit(env, changes);
                for (const [k, v] of changes) {
                  if (v === undefined) model.delete(hex(k));
                  else model.set(hex(k), v);
                }
                expect(hex(root)).toBe(hex(referenceRoot(model)));
              }
              const root = env.state.rootHash();
              const v = env.state.latestVersion;
              for (const k of [...pool, ...extraAbsent]) {
                const want = model.get(hex(k));
                const got = env.state.get(k);
                expect(got && hex(got)).toBe(want && hex(want));
                const at = env.state.getAt(k, v);
                expect(at && hex(at)).toBe(want && hex(want));
                const pr = env.state.prove(k);
                expect(pr.value && hex(pr.value)).toBe(want && hex(want));
                expect(hex(pr.root)).toBe(hex(root));
                const encoded = encodeProof(pr.proof);
                // The proof built straight into its binary form is the same bytes.
                const direct = env.state.proveEncoded(k);
                expect(hex(direct.proof)).toBe(hex(encoded));
                expect(direct.value && hex(direct.value)).toBe(want && hex(want));
                const decoded = decodeProof(encoded);
                expect(verifyProof(root, k, want, decoded)).toBe(true);
                // The same proof must not prove the opposite.
                expect(
                  verifyProof(root, k, want === undefined ? new Uint8Array([1]) : undefined, decoded),
                ).toBe(false);
              }
              const listed = [...env.state.iteratePrefix(new Uint8Array(0))].map(([k, val]) => [
                hex(k),
                hex(val),
              ]);
              const expected = [...model].sort(([a], [b]) =>
                Buffer.compare(Buffer.from(a, "hex"), Buffer.from(b, "hex")),
              );
              expect(listed).toEqual(expected.map(([k, val]) => [k, hex(val)]));
            } finally {
              await env.close();
            }
          },
        ),
        { numRuns: 40 },
      );
    });

    test("every retained version: root, getAt and proofs match that version's model", async () => {
      await fc.assert(
        fc.asyncProperty(batchesArb, async (batches) => {
          const env = makeEnv({ ...shape, keepRecent: 3 });
          try {
            const model = new Map<string, Uint8Array>();
            const snapshots = new Map<number, Map<string, Uint8Array>>();
            for (const batch of batches) {
              const changes = dedupe(batch);
              commit(env, changes);
              for (const [k, v] of changes) {
                if (v === undefined) model.delete(hex(k));
                else model.set(hex(k), v);
              }
              snapshots.set(env.state.latestVersion, new Map(model));
            }
            for (let v = env.state.oldestVersion; v <= env.state.latestVersion; v++) {
              const snap = snapshots.get(v) ?? new Map<string, Uint8Array>();
              const root = env.state.rootHash(v);
              expect(hex(root)).toBe(hex(referenceRoot(snap)));
              for (const k of pool) {
                const want = snap.get(hex(k));
                const got = env.state.getAt(k, v);
                expect(got && hex(got)).toBe(want && hex(want));
                const pr = env.state.prove(k, v);
                expect(pr.value && hex(pr.value)).toBe(want && hex(want));
                expect(verifyProof(root, k, want, decodeProof(encodeProof(pr.proof)))).toBe(true);
                expect(hex(env.state.proveEncoded(k, v).proof)).toBe(hex(encodeProof(pr.proof)));
              }
            }
          } finally {
            await env.close();
          }
        }),
        { numRuns: 25 },
      );
    });

    test("the root depends only on the final key/value set (history independence)", async () => {
      const scheduleArb = fc.record({
        final: fc.array(fc.tuple(fc.nat({ max: P - 1 }), valueArb), { maxLength: 25 }),
        noise: fc.array(fc.tuple(fc.nat({ max: P - 1 }), valueArb, fc.nat({ max: 4 })), { maxLength: 30 }),
        finalBatch: fc.array(fc.nat({ max: 4 }), { minLength: P, maxLength: P }),
      });
      await fc.assert(
        fc.asyncProperty(scheduleArb, async ({ final, noise, finalBatch }) => {
          const finalMap = new Map<number, Uint8Array>(final);
          // Batches 0..4 hold noise (intermediate values, keys that end up deleted); each touched key's
          // final op (its final value, or a delete) lands in a batch at or after its last noise op.
          const batches: Map<number, Uint8Array | undefined>[] = Array.from({ length: 6 }, () => new Map());
          const lastNoise = new Map<number, number>();
          for (const [i, v, b] of noise) {
            batches[b]!.set(i, v);
            lastNoise.set(i, Math.max(lastNoise.get(i) ?? 0, b));
          }
          const touched = new Set<number>([...finalMap.keys(), ...lastNoise.keys()]);
          for (const i of touched) {
            const b = Math.max(lastNoise.get(i) ?? 0, finalBatch[i]!);
            batches[b + 1]!.set(i, finalMap.get(i));
          }
          const a = makeEnv({ ...shape, keepRecent: 1 });
          const b = makeEnv({ ...shape, keepRecent: 1 });
          try {
            for (const batch of batches)
              commit(
                a,
                [...batch].map(([i, v]) => [pool[i]!, v]),
              );
            commit(
              b,
              [...finalMap].map(([i, v]) => [pool[i]!, v]),
            );
            const model = new Map([...finalMap].map(([i, v]) => [hex(pool[i]!), v]));
            expect(hex(a.state.rootHash())).toBe(hex(b.state.rootHash()));
            expect(hex(a.state.rootHash())).toBe(hex(referenceRoot(model)));
            // keepRecent = 1: the node db holds exactly the latest tree, as in a state built in one go.
            expect(nodeCount(a)).toBe(nodeCount(b));
          } finally {
            await a.close();
            await b.close();
          }
        }),
        { numRuns: 40 },
      );
    });

    test("changes may come in any order", async () => {
      const arb = fc
        .array(changeArb, { maxLength: 30 })
        .map(dedupe)
        .chain((changes) =>
          fc.tuple(
            fc.constant(changes),
            fc.shuffledSubarray(changes, { minLength: changes.length, maxLength: changes.length }),
          ),
        );
      await fc.assert(
        fc.asyncProperty(arb, async ([changes, shuffled]) => {
          const a = makeEnv({ ...shape, keepRecent: 3 });
          try {
            commit(
              a,
              pool.slice(0, 10).map((k) => [k, bytes("base")]),
            );
            const p1 = a.state.prepare(2, changes);
            const p2 = a.state.prepare(2, shuffled);
            expect(hex(p1.root)).toBe(hex(p2.root));
          } finally {
            await a.close();
          }
        }),
        { numRuns: 30 },
      );
    });
  });

  describe("proof tampering", () => {
    test("flipping any byte of an encoded proof or of the value, or a wrong key/root, fails", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.subarray([...pool.keys()], { minLength: 0, maxLength: P }),
          fc.integer({ min: 1, max: 255 }),
          async (present, x) => {
            const env = makeEnv({ ...shape, keepRecent: 3 });
            try {
              commit(
                env,
                present.map((i) => [pool[i]!, bytes(`value-${i}`)]),
              );
              const root = env.state.rootHash();
              const badRoot = Uint8Array.from(root);
              badRoot[7]! ^= x;
              const probe = [...pool.slice(0, 16), bytes("absent-1"), bytes("absent-2")];
              for (const k of probe) {
                const { value, proof } = env.state.prove(k);
                const enc = encodeProof(proof);
                expect(verifyProof(root, k, value, decodeProof(enc))).toBe(true);
                expect(verifyProof(badRoot, k, value, decodeProof(enc))).toBe(false);
                for (let i = 0; i < enc.length; i++) {
                  const t = Uint8Array.from(enc);
                  t[i]! ^= x;
                  let ok = false;
                  try {
                    ok = verifyProof(root, k, value, decodeProof(t));
                  } catch (e) {
                    expect((e as { code?: string }).code).toBe("PROOF_MALFORMED");
                  }
                  expect(ok).toBe(false);
                }
                if (value !== undefined) {
                  for (let i = 0; i < value.length; i++) {
                    const t = Uint8Array.from(value);
                    t[i]! ^= x;
                    expect(verifyProof(root, k, t, proof)).toBe(false);
                  }
                  expect(verifyProof(root, k, Uint8Array.of(...value, 0), proof)).toBe(false);
                  // Another key (present or not) cannot use this inclusion proof.
                  for (const other of pool.slice(16, 24))
                    expect(verifyProof(root, other, value, proof)).toBe(false);
                } else {
                  // An exclusion proof never covers a key that is present.
                  for (const i of present) expect(verifyProof(root, pool[i]!, undefined, proof)).toBe(false);
                }
              }
            } finally {
              await env.close();
            }
          },
        ),
        { numRuns: 12 },
      );
    });

    test("exclusion ends: empty tree, empty slot, and another key's leaf", async () => {
      const env = makeEnv({ ...shape, keepRecent: 3 });
      try {
        const empty = env.state.prove(pool[0]!);
        expect(empty.proof.steps.length).toBe(0);
        expect(empty.proof.terminal.type).toBe("empty");
        expect(verifyProof(empty.root, pool[0]!, undefined, empty.proof)).toBe(true);

        // A single key sits at the root as a leaf.
        commit(env, [[pool[0]!, bytes("a")]]);
        const other = env.state.prove(pool[1]!);
        expect(other.proof.steps.length).toBe(0);
        expect(other.proof.terminal.type).toBe("other");
        expect(verifyProof(env.state.rootHash(), pool[1]!, undefined, other.proof)).toBe(true);

        // pool[0] and pool[1] share >= 7 nibbles: the tree gets a chain of single-child nodes.
        expect(sharedNibbles(pool[0]!, pool[1]!)).toBeGreaterThanOrEqual(7);
        commit(env, [[pool[1]!, bytes("b")]]);
        const incl = env.state.prove(pool[1]!);
        expect(incl.proof.steps.length).toBeGreaterThanOrEqual(8);
        expect(verifyProof(env.state.rootHash(), pool[1]!, bytes("b"), incl.proof)).toBe(true);
        const slot = env.state.prove(pool[5]!);
        expect(slot.proof.terminal.type).toBe("empty");
        expect(verifyProof(env.state.rootHash(), pool[5]!, undefined, slot.proof)).toBe(true);

        // Deleting both collapses back to the empty root.
        commit(env, [
          [pool[0]!, undefined],
          [pool[1]!, undefined],
        ]);
        expect(hex(env.state.rootHash())).toBe(hex(new Uint8Array(32)));
      } finally {
        await env.close();
      }
    });
  });

  describe("versions and pruning", () => {
    test("older retained versions read and prove old values; pruned ones throw", async () => {
      const env = makeEnv({ ...shape, keepRecent: 3 });
      try {
        const roots: Uint8Array[] = [new Uint8Array(32)];
        for (let v = 1; v <= 8; v++) {
          roots.push(
            commit(env, [
              [pool[0]!, bytes(`v${v}`)],
              [pool[v]!, bytes(`only-${v}`)],
              [pool[v - 1 + 20]!, v % 2 ? undefined : bytes("x")],
            ]),
          );
        }
        expect(env.state.latestVersion).toBe(8);
        expect(env.state.oldestVersion).toBe(6);
        for (let v = 6; v <= 8; v++) {
          expect(hex(env.state.rootHash(v))).toBe(hex(roots[v]!));
          expect(Buffer.from(env.state.getAt(pool[0]!, v)!).toString()).toBe(`v${v}`);
          const p = env.state.prove(pool[0]!, v);
          expect(p.version).toBe(v);
          expect(verifyProof(roots[v]!, pool[0]!, bytes(`v${v}`), p.proof)).toBe(true);
          expect(verifyProof(roots[v]!, pool[0]!, bytes("v8"), p.proof)).toBe(v === 8);
          // pool[8] was only written at version 8.
          expect(env.state.getAt(pool[8]!, v)).toEqual(v === 8 ? expect.anything() : undefined);
        }
        expect(codeOf(() => env.state.rootHash(5))).toBe("VERSION_PRUNED");
        expect(codeOf(() => env.state.getAt(pool[0]!, 1))).toBe("VERSION_PRUNED");
        expect(codeOf(() => env.state.prove(pool[0]!, 0))).toBe("VERSION_PRUNED");
        expect(codeOf(() => env.state.rootHash(9))).toBe("VERSION_UNKNOWN");
        expect(codeOf(() => env.state.getAt(pool[0]!, 1.5))).toBe("BAD_VERSION");
      } finally {
        await env.close();
      }
    });

    test("pruning deletes: the node count stays bounded and equals the retained trees", async () => {
      const one = makeEnv({ ...shape, keepRecent: 1 });
      const three = makeEnv({ ...shape, keepRecent: 3 });
      try {
        const counts: number[] = [];
        const model = new Map<number, Uint8Array | undefined>();
        let seed = 1;
        const rnd = () => {
          seed = (seed * 1103515245 + 12345) % 2147483648;
          return seed;
        };
        for (let v = 1; v <= 150; v++) {
          const batch = new Map<number, Uint8Array | undefined>();
          for (let j = 0; j < 6; j++) batch.set(rnd() % P, rnd() % 5 === 0 ? undefined : bytes(`${v}-${j}`));
          for (const [i, val] of batch) model.set(i, val);
          const changes = [...batch].map(
            ([i, val]) => [pool[i]!, val] as [Uint8Array, Uint8Array | undefined],
          );
          commit(one, changes);
          commit(three, changes);
          if (v % 50 === 0) counts.push(nodeCount(three));
        }
        const fresh = makeEnv({ ...shape, keepRecent: 1 });
        try {
          commit(
            fresh,
            [...model].filter(([, val]) => val).map(([i, val]) => [pool[i]!, val]),
          );
          expect(hex(fresh.state.rootHash())).toBe(hex(one.state.rootHash()));
          expect(nodeCount(one)).toBe(nodeCount(fresh));
        } finally {
          await fresh.close();
        }
        // keepRecent = 3 keeps at most the nodes of 3 trees; it must not grow with history.
        expect(Math.max(...counts)).toBeLessThanOrEqual(3 * nodeCount(one) + 10);
        const stale = one.root.openDB({ name: "state.stale", encoding: "binary", keyEncoding: "binary" });
        expect(stale.getKeysCount()).toBe(0);
        // Undo records (key: version u64 | key hash) are kept only for versions after the oldest.
        const undo = three.root.openDB<Buffer, Buffer>({
          name: "state.undo",
          encoding: "binary",
          keyEncoding: "binary",
        });
        for (const k of undo.getKeys())
          expect(Number(k.readBigUInt64BE(0))).toBeGreaterThan(three.state.oldestVersion);
        const meta = three.root.openDB({ name: "state.meta", encoding: "binary", keyEncoding: "binary" });
        expect(meta.getKeysCount()).toBe(1 + 3); // latest record + roots of the 3 retained versions
      } finally {
        await one.close();
        await three.close();
      }
    });
  });

  describe("deferred pruning (pruneInterval)", () => {
    test("old versions are unreadable at once; nodes go at the next prune point", async () => {
      const strict = makeEnv({ ...shape, keepRecent: 2 });
      const lazy = makeEnv({ ...shape, keepRecent: 2, pruneInterval: 5 });
      try {
        for (let v = 1; v <= 23; v++) {
          const changes = dedupe([
            [v % P, bytes(`${v}`)],
            [(v * 7) % P, v % 3 ? bytes(`x${v}`) : undefined],
            [(v * 11) % P, bytes(`y${v}`)],
          ]);
          expect(hex(commit(lazy, changes))).toBe(hex(commit(strict, changes)));
          expect(lazy.state.oldestVersion).toBe(strict.state.oldestVersion);
          if (v > 2) expect(codeOf(() => lazy.state.rootHash(v - 2))).toBe("VERSION_PRUNED");
          if (v % 5 === 0) expect(nodeCount(lazy)).toBe(nodeCount(strict));
          else expect(nodeCount(lazy)).toBeGreaterThanOrEqual(nodeCount(strict));
        }
        for (let v = 22; v <= 23; v++) {
          expect(hex(lazy.state.rootHash(v))).toBe(hex(strict.state.rootHash(v)));
          const p = lazy.state.prove(pool[7]!, v);
          expect(verifyProof(lazy.state.rootHash(v), pool[7]!, p.value, p.proof)).toBe(true);
        }
      } finally {
        await strict.close();
        await lazy.close();
      }
    });
  });

  describe("durability and transactions", () => {
    test("close and reopen: same version, root, values and proofs; commits continue identically", async () => {
      let env = makeEnv({ ...shape, keepRecent: 2 });
      const twin = makeEnv({ ...shape, keepRecent: 2 });
      try {
        for (let v = 1; v <= 4; v++) {
          const changes: [Uint8Array, Uint8Array | undefined][] = pool
            .slice(v, v + 10)
            .map((k, j) => [k, bytes(`${v}.${j}`)]);
          commit(env, changes);
          commit(twin, changes);
        }
        const root = hex(env.state.rootHash());
        env = await env.reopen();
        expect(env.state.latestVersion).toBe(4);
        expect(env.state.oldestVersion).toBe(3);
        expect(hex(env.state.rootHash())).toBe(root);
        expect(Buffer.from(env.state.get(pool[13]!)!).toString()).toBe("4.9");
        expect(Buffer.from(env.state.getAt(pool[3]!, 3)!).toString()).toBe("3.0");
        const p = env.state.prove(pool[12]!, 3);
        expect(verifyProof(env.state.rootHash(3), pool[12]!, bytes("3.9"), p.proof)).toBe(true);
        const next: [Uint8Array, Uint8Array | undefined][] = [
          [pool[5]!, undefined],
          [pool[30]!, bytes("new")],
        ];
        expect(hex(commit(env, next))).toBe(hex(commit(twin, next)));
      } finally {
        await env.close();
        await twin.close();
      }
    });

    test("prepare without write changes nothing; only a current prepare can be written", async () => {
      const env = makeEnv({ ...shape, keepRecent: 3 });
      try {
        commit(
          env,
          pool.slice(0, 12).map((k, i) => [k, bytes(`a${i}`)]),
        );
        const root1 = hex(env.state.rootHash());
        const p1 = env.state.prepare(2, [
          [pool[0]!, bytes("changed")],
          [pool[1]!, undefined],
          [pool[20]!, bytes("new")],
        ]);
        expect(hex(p1.root)).not.toBe(root1);
        expect(env.state.latestVersion).toBe(1);
        expect(hex(env.state.rootHash())).toBe(root1);
        expect(Buffer.from(env.state.get(pool[0]!)!).toString()).toBe("a0");
        expect(env.state.get(pool[20]!)).toBeUndefined();
        expect(env.state.prove(pool[1]!).value).toBeDefined();
        // A different prepare of the same version is unaffected by the discarded one.
        const p2 = env.state.prepare(2, [[pool[2]!, bytes("other")]]);
        const expected = new Map(pool.slice(0, 12).map((k, i) => [hex(k), bytes(`a${i}`)]));
        expected.set(hex(pool[2]!), bytes("other"));
        expect(hex(p2.root)).toBe(hex(referenceRoot(expected)));
        expect(codeOf(() => env.state.write(p2))).toBe("NOT_IN_TRANSACTION");
        env.root.transactionSync(() => env.state.write(p2));
        expect(hex(env.state.rootHash())).toBe(hex(p2.root));
        expect(codeOf(() => env.root.transactionSync(() => env.state.write(p1)))).toBe("STALE_PREPARE");
        expect(codeOf(() => env.root.transactionSync(() => env.state.write(p2)))).toBe("STALE_PREPARE");
      } finally {
        await env.close();
      }
    });

    test("an aborted caller transaction after write() leaves the previous state in force", async () => {
      const env = makeEnv({ ...shape, keepRecent: 3 });
      try {
        commit(
          env,
          pool.slice(0, 8).map((k) => [k, bytes("base")]),
        );
        const before = hex(env.state.rootHash());
        const p = env.state.prepare(2, [[pool[0]!, bytes("lost")]]);
        env.root.transactionSync(() => {
          env.state.write(p);
          return ABORT;
        });
        expect(env.state.latestVersion).toBe(1);
        expect(hex(env.state.rootHash())).toBe(before);
        expect(Buffer.from(env.state.get(pool[0]!)!).toString()).toBe("base");
        // The same version can be committed again, and the caches hold no trace of the aborted one.
        const again = commit(env, [[pool[0]!, bytes("kept")]]);
        const expected = new Map(pool.slice(0, 8).map((k) => [hex(k), bytes("base")]));
        expected.set(hex(pool[0]!), bytes("kept"));
        expect(hex(again)).toBe(hex(referenceRoot(expected)));
        expect(Buffer.from(env.state.getAt(pool[0]!, 2)!).toString()).toBe("kept");
      } finally {
        await env.close();
      }
    });
  });
});

describe("API edges", () => {
  test("argument errors", async () => {
    const env = makeEnv();
    try {
      expect(codeOf(() => env.state.prepare(2, []))).toBe("BAD_VERSION");
      expect(codeOf(() => env.state.prepare(0, []))).toBe("BAD_VERSION");
      expect(
        codeOf(() =>
          env.state.prepare(1, [
            [bytes("k"), bytes("1")],
            [bytes("k"), undefined],
          ]),
        ),
      ).toBe("DUPLICATE_KEY");
      expect(codeOf(() => env.state.prepare(1, [[new Uint8Array(0), bytes("1")]]))).toBe("BAD_KEY");
      expect(codeOf(() => new AuthenticatedState(env.root, { keepRecent: 0 }))).toBe("BAD_OPTIONS");
      expect(codeOf(() => new AuthenticatedState(env.root, { keepRecent: 1, nodeCacheSize: -1 }))).toBe(
        "BAD_OPTIONS",
      );
      expect(() => decodeProof(Uint8Array.of(9, 0))).toThrow(/PROOF_MALFORMED/);
      expect(env.state.latestVersion).toBe(0);
      expect(hex(env.state.rootHash())).toBe(hex(new Uint8Array(32)));
      // An empty commit is a valid version with an unchanged root.
      commit(env, []);
      expect(env.state.latestVersion).toBe(1);
      expect(hex(env.state.rootHash(1))).toBe(hex(new Uint8Array(32)));
    } finally {
      await env.close();
    }
  });

  test("bucketLeaves: validated, and fixed when the store is created", async () => {
    const probe = makeEnv();
    try {
      for (const bad of [0, 1025, 2.5]) {
        expect(codeOf(() => new AuthenticatedState(probe.root, { keepRecent: 1, bucketLeaves: bad }))).toBe(
          "BAD_OPTIONS",
        );
      }
    } finally {
      await probe.close();
    }
    let env = makeEnv({ keepRecent: 2, bucketLeaves: 2 });
    const twin = makeEnv({ keepRecent: 2, bucketLeaves: 2 });
    try {
      const batch = (v: number): [Uint8Array, Uint8Array | undefined][] =>
        pool.slice(v, v + 15).map((k, j) => [k, j % 5 === 4 ? undefined : bytes(`${v}.${j}`)]);
      for (let v = 1; v <= 3; v++) expect(hex(commit(env, batch(v)))).toBe(hex(commit(twin, batch(v))));
      env = await env.reopen({ bucketLeaves: 64 }); // ignored: the store keeps 2
      for (let v = 4; v <= 6; v++) expect(hex(commit(env, batch(v)))).toBe(hex(commit(twin, batch(v))));
      expect(nodeCount(env)).toBe(nodeCount(twin));
      expect(nodeCount(env)).toBeGreaterThan(0);
    } finally {
      await env.close();
      await twin.close();
    }
  });

  test("iteratePrefix returns latest entries with the prefix, in key byte order", async () => {
    const env = makeEnv();
    try {
      const keys = ["a/1", "a/2", "a/10", "b/1", "a", "a/\u00ff"].map(bytes);
      commit(
        env,
        keys.map((k, i) => [k, bytes(`${i}`)]),
      );
      commit(env, [[bytes("a/2"), undefined]]);
      const got = [...env.state.iteratePrefix(bytes("a/"))].map(
        ([k, v]) => `${Buffer.from(k).toString()}=${Buffer.from(v).toString()}`,
      );
      expect(got).toEqual(["a/1=0", "a/10=2", "a/\u00ff=5"]);
      expect([...env.state.iteratePrefix(bytes("c"))]).toEqual([]);
      expect([...env.state.iteratePrefix(new Uint8Array(0))].length).toBe(5);
    } finally {
      await env.close();
    }
  });
});
