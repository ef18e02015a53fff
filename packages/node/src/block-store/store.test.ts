import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BlockHeaderSchema,
  BlockResultsSchema,
  BlockSchema,
  decodeAddress,
  EventSchema,
  type Signer,
  sha256,
  TxResultSchema,
  txHash,
} from "@btt/core";
import { create, equals } from "@bufbuild/protobuf";
import { open, type RootDatabase } from "lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { blockHash, txMerkleRoot } from "./merkle.ts";
import { encodeBlockResults } from "./results-codec.ts";
import { BlockStore, type CommittedBlock } from "./store.ts";
import { type BlockInput, CHAIN, signers, transfers } from "./test-helpers.ts";

function makeBlock(height: number, previous: Uint8Array, input: BlockInput): CommittedBlock {
  const results = create(BlockResultsSchema, {
    txResults: input.results,
    beginBlockEvents: input.begin ?? [],
    endBlockEvents: input.end ?? [
      { type: "end/block", attributes: [{ key: "height", value: String(height) }] },
    ],
  });
  const header = create(BlockHeaderSchema, {
    chainId: CHAIN,
    height: BigInt(height),
    timeMs: 1_767_225_600_000n + BigInt(height) * 1000n,
    previousHash: previous,
    txRoot: txMerkleRoot(input.txs.map((t) => txHash(t))),
    appHash: sha256(Buffer.from(`app ${height}`)),
    resultsHash: sha256(encodeBlockResults(results)),
    proposer: signers[0]!.address,
  });
  return { block: create(BlockSchema, { header, txs: input.txs }), hash: blockHash(header), results };
}

let dir: string;
let root: RootDatabase;
let store: BlockStore;

function openStore(): void {
  root = open({ path: dir, maxDbs: 16 });
  store = new BlockStore(root);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "btt-block-store-test-"));
  openStore();
});

afterEach(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores blocks made from the inputs after the latest one; returns them. */
function append(...inputs: BlockInput[]): { committed: CommittedBlock; input: BlockInput }[] {
  const out: { committed: CommittedBlock; input: BlockInput }[] = [];
  for (const input of inputs) {
    const height = store.latestHeight() + 1;
    const previous = height > 1 ? blockHash(store.header(height - 1)!) : new Uint8Array(32);
    const committed = makeBlock(height, previous, input);
    root.transactionSync(() => store.putBlock(committed, input.accounts));
    out.push({ committed, input });
  }
  return out;
}

function appendOne(input: BlockInput): { committed: CommittedBlock; input: BlockInput } {
  return append(input)[0]!;
}

function expectSameBlock(actual: CommittedBlock | undefined, expected: CommittedBlock): void {
  expect(actual).toBeDefined();
  expect(Buffer.from(actual!.hash)).toEqual(Buffer.from(expected.hash));
  expect(equals(BlockSchema, actual!.block, expected.block)).toBe(true);
  expect(equals(BlockResultsSchema, actual!.results, expected.results)).toBe(true);
}

describe("BlockStore", () => {
  const [a, b, c, d] = signers as [Signer, Signer, Signer, Signer];

  it("is empty at first", () => {
    expect(store.latestHeight()).toBe(0);
    expect(store.header(1)).toBeUndefined();
    expect(store.block(1)).toBeUndefined();
    expect(store.txsOfAccount(a.address, { limit: 10 })).toEqual({ txs: [] });
  });

  it("round-trips blocks by height and hash, txs by hash, and results", () => {
    const stored = append(
      transfers([
        { from: a, to: b.address, amount: 10n },
        { from: b, to: c.address, amount: 20n },
      ]),
      {
        txs: [],
        results: [],
        accounts: [],
        begin: [create(EventSchema, { type: "begin/x", attributes: [{ key: "k", value: "v" }] })],
      },
      transfers([
        { from: c, to: a.address, amount: 30n },
        { from: a, to: a.address, amount: 40n },
        { from: d, to: b.address, amount: 50n },
      ]),
    );
    expect(store.latestHeight()).toBe(3);
    for (const { committed, input } of stored) {
      const height = Number(committed.block.header!.height);
      expectSameBlock(store.block(height), committed);
      expectSameBlock(store.blockByHash(committed.hash), committed);
      expect(equals(BlockHeaderSchema, store.header(height)!, committed.block.header!)).toBe(true);
      input.txs.forEach((tx, index) => {
        const hash = txHash(tx);
        const found = store.tx(hash);
        expect(found).toBeDefined();
        expect(found!.height).toBe(height);
        expect(found!.index).toBe(index);
        expect(Buffer.from(found!.hash)).toEqual(Buffer.from(hash));
        expect(Buffer.from(found!.tx)).toEqual(Buffer.from(tx));
        expect(equals(TxResultSchema, found!.result, input.results[index]!)).toBe(true);
        expect(found!.blockTimeMs).toBe(committed.block.header!.timeMs);
      });
    }
    // Answers do not share memory with the cache.
    const first = store.tx(txHash(stored[0]!.input.txs[0]!))!;
    first.tx.fill(0);
    expect(Buffer.from(store.tx(txHash(stored[0]!.input.txs[0]!))!.tx)).toEqual(
      Buffer.from(stored[0]!.input.txs[0]!),
    );
  });

  it("stores arbitrary tx bytes and results", () => {
    const odd = [new Uint8Array(0), randomBytes(300), Buffer.from(`memo ${a.address}${b.address} btt1 end`)];
    const results = odd.map((_, i) =>
      create(TxResultSchema, { code: i, log: `failed: ünïcödé ${"x".repeat(200 * i)}`, fee: "", events: [] }),
    );
    const { committed } = appendOne({
      txs: odd,
      results,
      accounts: [[], [a.address], [a.address, "not-an-address"]],
    });
    expectSameBlock(store.block(1), committed);
    expect(store.tx(txHash(odd[0]!))!.index).toBe(0);
    expect(store.txsOfAccount("not-an-address", { limit: 5 }).txs.map((t) => t.index)).toEqual([2]);
    expect(store.txsOfAccount(a.address, { limit: 5 }).txs.map((t) => t.index)).toEqual([2, 1]);
  });

  it("answers correctly with a cache of one block", () => {
    const stored = append(
      transfers([{ from: a, to: b.address, amount: 1n }]),
      transfers([{ from: b, to: c.address, amount: 2n }]),
      transfers([{ from: c, to: a.address, amount: 3n }]),
    );
    const small = new BlockStore(root, { cachedBlocks: 4, cachedBytes: 1 });
    for (let round = 0; round < 2; round++) {
      for (const { committed, input } of stored) {
        const height = Number(committed.block.header!.height);
        expect(small.tx(txHash(input.txs[0]!))).toMatchObject({ height, index: 0 });
        expectSameBlock(small.block(height), committed);
      }
    }
  });

  it("returns undefined for unknown heights and hashes", () => {
    append(transfers([{ from: a, to: b.address, amount: 1n }]));
    for (const height of [0, 2, -1, 1.5, 2 ** 40, Number.NaN]) {
      expect(store.block(height)).toBeUndefined();
      expect(store.header(height)).toBeUndefined();
    }
    expect(store.blockByHash(randomBytes(32))).toBeUndefined();
    expect(store.blockByHash(new Uint8Array(5))).toBeUndefined();
    expect(store.tx(randomBytes(32))).toBeUndefined();
    expect(store.tx(new Uint8Array(0))).toBeUndefined();
    expect(store.txsOfAccount(c.address, { limit: 3 })).toEqual({ txs: [] });
  });

  it("confirms the full hash when tx hashes share the indexed prefix", () => {
    const { input } = appendOne(
      transfers([
        { from: a, to: b.address, amount: 1n },
        { from: b, to: c.address, amount: 2n },
        { from: c, to: d.address, amount: 3n },
      ]),
    );
    const target = txHash(input.txs[2]!);
    // Inject an index entry with the target's prefix that points at tx 0 (seq 0), which sorts first.
    const index = root.openDB("blocks.txhash", {
      keyEncoding: "binary",
      dupSort: true,
      dupFixed: true,
      encoder: { encode: (v: Uint8Array) => v, decode: (b: Uint8Array, n: number) => b.slice(0, n) },
    } as Parameters<RootDatabase["openDB"]>[1]);
    root.transactionSync(() => {
      const value = Buffer.alloc(9);
      value.set(target.subarray(0, 5), 0);
      value.writeUInt32BE(0, 5);
      index.putSync(Buffer.from([0]), value);
    });
    const start = Buffer.alloc(9, 0);
    const end = Buffer.alloc(9, 0xff);
    start.set(target.subarray(0, 5));
    end.set(target.subarray(0, 5));
    expect([...index.getValues(Buffer.from([0]), { start, end, inclusiveEnd: true })].length).toBe(2);
    const found = store.tx(target);
    expect(found?.index).toBe(2);
    expect(Buffer.from(found!.tx)).toEqual(Buffer.from(input.txs[2]!));
    // A hash with the same prefix that is not stored.
    const lookalike = Uint8Array.from(target);
    lookalike[31]! ^= 1;
    expect(store.tx(lookalike)).toBeUndefined();
    // The other txs are unaffected.
    expect(store.tx(txHash(input.txs[0]!))?.index).toBe(0);
  });

  it("pages an account's txs newest first across chunks, without gaps or duplicates", () => {
    // a sends in every tx, so its index grows past several chunks (192 bytes each).
    const perBlock = [40, 1, 0, 120, 7, 300, 2, 260];
    const expected: string[] = [];
    for (const n of perBlock) {
      const specs = Array.from({ length: n }, (_, i) => ({
        from: i % 4 === 3 ? b : a,
        to: (i % 2 ? c : a).address,
        amount: 1n,
      }));
      const { input } = appendOne(transfers(specs));
      input.txs.forEach((tx, i) => {
        if (input.accounts[i]!.includes(a.address)) expected.push(Buffer.from(txHash(tx)).toString("hex"));
      });
    }
    expected.reverse();
    const accounts = root.openDB<Uint8Array, Uint8Array>("blocks.accounts", {
      encoding: "binary",
      keyEncoding: "binary",
    });
    const archived = [...accounts.getKeys()].filter(
      (k) =>
        k.length === 24 &&
        Buffer.from(k)
          .toString("latin1")
          .startsWith(Buffer.from(decodeAddress(a.address)).toString("latin1")),
    );
    expect(archived.length).toBeGreaterThanOrEqual(2);
    for (const limit of [1, 3, 50, 191, 1000]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; ; pages++) {
        const page = store.txsOfAccount(a.address, cursor === undefined ? { limit } : { limit, cursor });
        expect(page.txs.length).toBeLessThanOrEqual(limit);
        seen.push(...page.txs.map((t) => Buffer.from(t.hash).toString("hex")));
        if (!page.nextCursor) break;
        expect(page.txs.length).toBe(limit);
        cursor = page.nextCursor;
        expect(pages).toBeLessThan(1000);
      }
      expect(seen).toEqual(expected);
    }
    // Heights and indexes are consistent with the blocks.
    for (const t of store.txsOfAccount(a.address, { limit: 30 }).txs) {
      expect(Buffer.from(store.block(t.height)!.block.txs[t.index]!)).toEqual(Buffer.from(t.tx));
    }
  });

  it("keeps a cursor valid while new blocks are added", () => {
    append(transfers(Array.from({ length: 90 }, () => ({ from: a, to: b.address, amount: 1n }))));
    const first = store.txsOfAccount(a.address, { limit: 10 });
    const older = first.txs.map((t) => t.index);
    expect(older).toEqual([89, 88, 87, 86, 85, 84, 83, 82, 81, 80]);
    // Enough new txs for the head chunk (where the cursor points) to be archived.
    append(transfers(Array.from({ length: 400 }, () => ({ from: a, to: c.address, amount: 1n }))));
    const rest: number[] = [];
    let cursor = first.nextCursor;
    while (cursor) {
      const page = store.txsOfAccount(a.address, { limit: 25, cursor });
      for (const t of page.txs) {
        expect(t.height).toBe(1);
        rest.push(t.index);
      }
      cursor = page.nextCursor;
    }
    expect(rest).toEqual(Array.from({ length: 80 }, (_, i) => 79 - i));
  });

  it("rejects bad cursors and limits", () => {
    append(transfers([{ from: a, to: b.address, amount: 1n }]));
    expect(() => store.txsOfAccount(a.address, { limit: 0 })).toThrow(RangeError);
    expect(() => store.txsOfAccount(a.address, { limit: 1.5 })).toThrow(RangeError);
    expect(() => store.txsOfAccount(a.address, { limit: 1, cursor: "!!" })).toThrow(RangeError);
    expect(() => store.txsOfAccount(a.address, { limit: 1, cursor: "" })).toThrow(RangeError);
  });

  it("persists across close and reopen, and continues from there", async () => {
    const before = append(
      transfers([
        { from: a, to: b.address, amount: 1n },
        { from: b, to: a.address, amount: 2n },
      ]),
      transfers([{ from: c, to: d.address, amount: 3n }]),
    );
    await root.close();
    openStore();
    expect(store.latestHeight()).toBe(2);
    for (const { committed } of before)
      expectSameBlock(store.block(Number(committed.block.header!.height)), committed);
    // A new account (e) gets a fresh account id: the blocks before and after still decode right.
    const e = signers[4]!;
    const after = append(
      transfers([
        { from: d, to: a.address, amount: 4n },
        { from: a, to: e.address, amount: 5n },
      ]),
    );
    expect(store.latestHeight()).toBe(3);
    for (const { committed } of before)
      expectSameBlock(store.block(Number(committed.block.header!.height)), committed);
    expect(store.txsOfAccount(e.address, { limit: 10 }).txs.map((t) => [t.height, t.index])).toEqual([
      [3, 1],
    ]);
    expect(store.tx(txHash(after[0]!.input.txs[0]!))).toMatchObject({ height: 3, index: 0 });
    expect(store.tx(txHash(before[1]!.input.txs[0]!))).toMatchObject({ height: 2, index: 0 });
    const history = store.txsOfAccount(a.address, { limit: 10 }).txs.map((t) => [t.height, t.index]);
    expect(history).toEqual([
      [3, 1],
      [3, 0],
      [1, 1],
      [1, 0],
    ]);
    expectSameBlock(store.block(3), after[0]!.committed);
  });

  it("leaves nothing behind when the transaction throws after putBlock", () => {
    const [first] = append(transfers([{ from: a, to: b.address, amount: 1n }]));
    const input = transfers([
      { from: b, to: c.address, amount: 2n },
      { from: d, to: a.address, amount: 3n },
    ]);
    const committed = makeBlock(2, first!.committed.hash, input);
    expect(() =>
      root.transactionSync(() => {
        store.putBlock(committed, input.accounts);
        // Reads inside the transaction see the block (and may cache it)…
        expect(store.block(2)).toBeDefined();
        throw new Error("crash after putBlock");
      }),
    ).toThrow("crash after putBlock");
    // …but after the abort nothing of it is there.
    expect(store.latestHeight()).toBe(1);
    expect(store.block(2)).toBeUndefined();
    expect(store.blockByHash(committed.hash)).toBeUndefined();
    for (const tx of input.txs) expect(store.tx(txHash(tx))).toBeUndefined();
    expect(store.txsOfAccount(c.address, { limit: 10 })).toEqual({ txs: [] });
    expect(store.txsOfAccount(a.address, { limit: 10 }).txs.map((t) => t.height)).toEqual([1]);
    // The same height can then be stored for real.
    root.transactionSync(() => store.putBlock(committed, input.accounts));
    expectSameBlock(store.block(2), committed);
    expect(store.tx(txHash(input.txs[1]!))).toMatchObject({ height: 2, index: 1 });
    expect(store.txsOfAccount(a.address, { limit: 10 }).txs.map((t) => t.height)).toEqual([2, 1]);
  });

  it("takes account entries collected while the block executed, and only for that block", () => {
    appendOne(transfers([{ from: a, to: b.address, amount: 1n }]));
    const input = transfers([
      { from: b, to: c.address, amount: 2n },
      { from: a, to: c.address, amount: 3n },
    ]);
    const committed = makeBlock(2, blockHash(store.header(1)!), input);
    const short = store.startAccounts();
    short.addTx(input.accounts[0]!);
    expect(() =>
      root.transactionSync(() => store.putBlock(committed, input.accounts, { accounts: short })),
    ).toThrow(/another block/);
    const collected = store.startAccounts();
    for (const accounts of input.accounts) collected.addTx(accounts);
    root.transactionSync(() => store.putBlock(committed, input.accounts, { accounts: collected }));
    expect(store.txsOfAccount(c.address, { limit: 10 }).txs.map((t) => [t.height, t.index])).toEqual([
      [2, 1],
      [2, 0],
    ]);
    expect(store.txsOfAccount(a.address, { limit: 10 }).txs.map((t) => [t.height, t.index])).toEqual([
      [2, 1],
      [1, 0],
    ]);
    expectSameBlock(store.block(2), committed);
  });

  it("refuses writes outside a transaction and inconsistent blocks", () => {
    const input = transfers([{ from: a, to: b.address, amount: 1n }]);
    const committed = makeBlock(1, new Uint8Array(32), input);
    expect(() => store.putBlock(committed, input.accounts)).toThrow(/inside root.transactionSync/);
    expect(() =>
      root.transactionSync(() => store.putBlock({ ...committed, hash: new Uint8Array(32) }, input.accounts)),
    ).toThrow(/hash/);
    expect(() => root.transactionSync(() => store.putBlock(committed, []))).toThrow(/account lists/);
    root.transactionSync(() => store.putBlock(committed, input.accounts));
    expect(() => root.transactionSync(() => store.putBlock(committed, input.accounts))).toThrow(
      /does not follow/,
    );
    const gap = makeBlock(3, committed.hash, transfers([]));
    expect(() => root.transactionSync(() => store.putBlock(gap, []))).toThrow(/does not follow/);
    expect(store.latestHeight()).toBe(1);
  });
});
