import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BlockHeaderSchema,
  type BlockResults,
  BlockResultsSchema,
  BlockSchema,
  coin,
  createTxBody,
  decodeAddress,
  EventSchema,
  ed25519Signer,
  encodeAddress,
  encodeTx,
  MsgSendSchema,
  msg,
  type Signer,
  sha256,
  signTx,
  type TxResult,
  TxResultSchema,
  txHash,
} from "@btt/core";
import { create, equals, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { open, type RootDatabase } from "lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  BlockStore,
  blockHash,
  type CommittedBlock,
  decodeBlockRecord,
  encodeBlockRecord,
  encodeBlockResults,
  txMerkleRoot,
} from "./block-store.ts";

// ---------------------------------------------------------------------------------------------
// Fixtures

const CHAIN = "btt-test-1";
const signers = Array.from({ length: 6 }, (_, i) =>
  ed25519Signer(sha256(Buffer.from(`block-store-test-${i}`))),
);
const nonces = new Map<string, bigint>();

interface TxSpec {
  from: Signer;
  to: string;
  amount: bigint;
}

function transfer({ from, to, amount }: TxSpec): { tx: Uint8Array; result: TxResult; accounts: string[] } {
  const nonce = nonces.get(from.address) ?? 0n;
  nonces.set(from.address, nonce + 1n);
  const send = create(MsgSendSchema, { to, amount: [coin("ubtt", amount)] });
  const body = createTxBody({
    chainId: CHAIN,
    sender: from.address,
    nonce,
    fee: { denom: "ubtt", amount: 500n },
    messages: [msg("bank/Send", toBinary(MsgSendSchema, send))],
  });
  const tx = encodeTx(signTx(body, from, nonce === 0n));
  const result = create(TxResultSchema, {
    code: 0,
    fee: "500",
    events: [
      {
        type: "bank/transfer",
        attributes: [
          { key: "sender", value: from.address },
          { key: "recipient", value: to },
          { key: "amount", value: `${amount}ubtt` },
        ],
      },
      {
        type: "auth/fee",
        attributes: [
          { key: "payer", value: from.address },
          { key: "amount", value: "500ubtt" },
        ],
      },
    ],
  });
  return { tx, result, accounts: [from.address, to] };
}

interface BlockInput {
  txs: Uint8Array[];
  results: TxResult[];
  accounts: string[][];
  begin?: BlockResults["beginBlockEvents"];
  end?: BlockResults["endBlockEvents"];
}

function transfers(specs: TxSpec[]): BlockInput {
  const made = specs.map(transfer);
  return {
    txs: made.map((m) => m.tx),
    results: made.map((m) => m.result),
    accounts: made.map((m) => m.accounts),
  };
}

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

// ---------------------------------------------------------------------------------------------

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

  it("depends on order", () => {
    const a = sha256(Buffer.from("a"));
    const b = sha256(Buffer.from("b"));
    expect(Buffer.from(txMerkleRoot([a, b]))).not.toEqual(Buffer.from(txMerkleRoot([b, a])));
  });
});

describe("encodeBlockResults", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ minLength: 100, maxLength: 300 }),
  );
  const event = fc.record({
    type: text,
    attributes: fc.array(fc.record({ key: text, value: text }), { maxLength: 4 }),
  });
  const txResult = fc.record({
    code: fc.oneof(fc.constant(0), fc.nat({ max: 30 }), fc.constant(0xffffffff)),
    log: text,
    events: fc.array(event, { maxLength: 4 }),
    fee: text,
  });

  it("is byte-identical to toBinary", () => {
    fc.assert(
      fc.property(
        fc.array(txResult, { maxLength: 8 }),
        fc.array(event, { maxLength: 2 }),
        fc.array(event, { maxLength: 2 }),
        (txResults, begin, end) => {
          const results = create(BlockResultsSchema, {
            txResults: txResults.map((r) => create(TxResultSchema, r)),
            beginBlockEvents: begin,
            endBlockEvents: end,
          });
          expect(Buffer.from(encodeBlockResults(results))).toEqual(
            Buffer.from(toBinary(BlockResultsSchema, results)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("handles a long log (multi-byte lengths)", () => {
    const results = create(BlockResultsSchema, {
      txResults: [
        create(TxResultSchema, { code: 5, log: "é".repeat(20_000), events: [{ type: "x".repeat(200) }] }),
      ],
    });
    expect(Buffer.from(encodeBlockResults(results))).toEqual(
      Buffer.from(toBinary(BlockResultsSchema, results)),
    );
  });
});

describe("block records", () => {
  const someAddress = fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((b) => Buffer.from(encodeAddress(b)));
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    someAddress,
    fc.constant(Buffer.from("btt1")),
    someAddress.map((a) => Buffer.concat([a.subarray(0, 41), Buffer.from("x")])), // bad checksum
    someAddress.map((a) => a.subarray(0, 30)), // truncated
    fc.constant(Buffer.from("btt1btt1qqqq")),
  );
  const bytes = fc.array(piece, { maxLength: 8 }).map((parts) => new Uint8Array(Buffer.concat(parts)));

  it("round-trip any bytes, with and without account ids", () => {
    const ids = new Map<string, number>();
    const addresses: Uint8Array[] = [];
    const idOf = (a: Uint8Array) => {
      const name = Buffer.from(a).toString("hex");
      if (a[0]! % 3 === 0) return -1;
      let id = ids.get(name);
      if (id === undefined) {
        id = addresses.length;
        ids.set(name, id);
        addresses.push(Uint8Array.from(a));
      }
      return id;
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(bytes, bytes), { maxLength: 12 }), bytes, (pairs, extra) => {
        const input = { txs: pairs.map((p) => p[0]), results: pairs.map((p) => p[1]), extra };
        for (const record of [encodeBlockRecord(input), encodeBlockRecord(input, idOf)]) {
          expect(record[0]).toBe(1);
          const body = decodeBlockRecord(record, (id) => addresses[id]);
          expect(body.count).toBe(pairs.length);
          for (let i = 0; i < pairs.length; i++) {
            expect(Buffer.from(body.tx(i))).toEqual(Buffer.from(pairs[i]![0]));
            expect(Buffer.from(body.resultBytes(i))).toEqual(Buffer.from(pairs[i]![1]));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("round-trip real transfers and make them small", () => {
    const input = transfers(
      Array.from({ length: 200 }, (_, i) => ({
        from: signers[i % 6]!,
        to: signers[(i + 1) % 6]!.address,
        amount: BigInt(i * 7919),
      })),
    );
    const results = input.results.map((r) => toBinary(TxResultSchema, r));
    const record = encodeBlockRecord({ txs: input.txs, results, extra: new Uint8Array(0) });
    const body = decodeBlockRecord(record);
    for (let i = 0; i < input.txs.length; i++) {
      expect(Buffer.from(body.tx(i))).toEqual(Buffer.from(input.txs[i]!));
      expect(equals(TxResultSchema, body.result(i), input.results[i]!)).toBe(true);
    }
    const raw = input.txs.reduce((n, t) => n + t.length, 0) + results.reduce((n, r) => n + r.length, 0);
    expect(record.length).toBeLessThan(raw / 3);
  });

  it("reject unknown formats and corrupt data", () => {
    const record = encodeBlockRecord({
      txs: [new Uint8Array([1, 2, 3])],
      results: [new Uint8Array(0)],
      extra: new Uint8Array(0),
    });
    expect(() => decodeBlockRecord(Uint8Array.of(2, ...record.subarray(1)))).toThrow(/unknown format/);
    expect(() => decodeBlockRecord(record.subarray(0, record.length - 3))).toThrow(/corrupt/);
    expect(() => decodeBlockRecord(new Uint8Array(0))).toThrow(/corrupt/);
  });
});

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
