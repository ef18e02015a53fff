// BlockStore: stores committed blocks and answers reads by height, block hash, tx hash and account.
//
// Databases (all "binary"): blocks.headers (u32 height → encoded header), blocks.hashes (block
// hash → u32 height), blocks.bodies (u32 height → block record, see record.ts), blocks.txseq and
// blocks.txhash (see tx-index.ts), blocks.accounts and blocks.accountids (see account-index.ts).
import {
  type Block,
  type BlockHeader,
  BlockHeaderSchema,
  type BlockResults,
  BlockSchema,
  bytesEqual,
  sha256,
  type TxResult,
  txHash,
} from "@btt/core";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { Database, RootDatabase } from "lmdb";
import { type AccountBatch, AccountIndex } from "./account-index.ts";
import { BlockCache, type LoadedBlock } from "./block-cache.ts";
import { CorruptRecordError, u32Key } from "./bytes.ts";
import { decodeCursor, encodeCursor } from "./cursor.ts";
import { decodeBlockRecord, finishRecord, type PreparedRecord, prepareRecord } from "./record.ts";
import { encodeResultParts, type ResultParts } from "./results-codec.ts";
import { MAX_SEQ, TX_HASH_DB_OPTIONS, TxIndex } from "./tx-index.ts";

export interface CommittedBlock {
  block: Block;
  hash: Uint8Array;
  results: BlockResults;
}

export interface TxLocation {
  height: number;
  index: number;
}

export interface StoredTx {
  hash: Uint8Array;
  height: number;
  index: number;
  tx: Uint8Array;
  result: TxResult;
  blockTimeMs: bigint;
}

export interface BlockStoreOptions {
  /** Decoded blocks kept in memory for tx lookups (each holds the block's raw txs and results); default 4. */
  cachedBlocks: number;
  /** Bound on the memory of those blocks (the latest one is always kept); default 64 MiB. */
  cachedBytes: number;
}

type Bytes = Uint8Array;

/**
 * The per-account index entries of a block being produced, collected as its txs execute (so
 * the block's commit has less to do). Valid only for the block after the latest stored one.
 */
export class BlockAccounts {
  private count = 0;

  constructor(
    /** The index changes so far. */
    readonly batch: AccountBatch,
    /** The sequence number the block's first tx gets. */
    readonly firstSeq: number,
  ) {}

  /** Records the accounts the block's next tx touched. */
  addTx(accounts: readonly string[]): void {
    const seq = this.firstSeq + this.count++;
    for (const address of accounts) this.batch.add(address, seq);
  }

  get txs(): number {
    return this.count;
  }
}

/** What putBlock would otherwise compute itself. */
export interface KnownBlockParts {
  /** prepareRecord of the block, built by a RecordBuilder as the block was executed. */
  record?: PreparedRecord;
  /** The accounts of every tx, collected by `startAccounts` as the block was executed. */
  accounts?: BlockAccounts;
  /** The hash of each tx, in block order. */
  txHashes?: readonly Uint8Array[];
  /** encodeResultParts(results). */
  resultParts?: ResultParts;
}

export class BlockStore {
  private readonly headers: Database<Bytes, Bytes>;
  private readonly hashes: Database<Bytes, Bytes>;
  private readonly bodies: Database<Bytes, Bytes>;
  private readonly txIndex: TxIndex;
  private readonly accountIndex: AccountIndex;
  private readonly cache: BlockCache;
  /** The last stored height; undefined until read, and again after each putBlock. */
  private latest: number | undefined;

  constructor(
    private readonly root: RootDatabase,
    opts: Partial<BlockStoreOptions> = {},
  ) {
    const binary = { encoding: "binary", keyEncoding: "binary" } as const;
    this.headers = root.openDB<Bytes, Bytes>("blocks.headers", binary);
    this.hashes = root.openDB<Bytes, Bytes>("blocks.hashes", binary);
    this.bodies = root.openDB<Bytes, Bytes>("blocks.bodies", binary);
    const txSeqs = root.openDB<Bytes, Bytes>("blocks.txseq", binary);
    const accounts = root.openDB<Bytes, Bytes>("blocks.accounts", binary);
    const accountIds = root.openDB<Bytes, Bytes>("blocks.accountids", binary);
    const txHashes = root.openDB<Bytes, Bytes>("blocks.txhash", TX_HASH_DB_OPTIONS);
    this.txIndex = new TxIndex(txSeqs, txHashes);
    this.accountIndex = new AccountIndex(accounts, accountIds);
    this.cache = new BlockCache(Math.max(1, opts.cachedBlocks ?? 4), opts.cachedBytes ?? 64 * 1024 * 1024);
  }

  /**
   * Issues the puts for one block. Must be called INSIDE the caller's transactionSync; writes
   * nothing else. `txAccounts[i]` = the addresses (bech32 strings) tx i touched, for the
   * per-account index. `known` is what the caller computed already (tx hashes, the results as
   * encodeResultParts made them), so it is not computed twice.
   */
  putBlock(committed: CommittedBlock, txAccounts: string[][], known: KnownBlockParts = {}): void {
    try {
      this.root.getWriteTxnId();
    } catch {
      throw new Error("putBlock must be called inside root.transactionSync()");
    }
    const { block, results } = committed;
    const header = block.header;
    if (!header) throw new Error("putBlock: the block has no header");
    const height = Number(header.height);
    if (!validHeight(height)) throw new Error(`putBlock: invalid height ${header.height}`);
    const latest = this.latestHeight();
    if (latest !== 0 && height !== latest + 1) {
      throw new Error(`putBlock: height ${height} does not follow the latest stored block ${latest}`);
    }
    const headerBytes = toBinary(BlockHeaderSchema, header);
    if (!bytesEqual(sha256(headerBytes), committed.hash))
      throw new Error("putBlock: hash is not the header's hash");
    const txs = block.txs;
    const count = txs.length;
    if (results.txResults.length !== count) {
      throw new Error(`putBlock: ${count} txs but ${results.txResults.length} results`);
    }
    if (txAccounts.length !== count)
      throw new Error(`putBlock: ${count} txs but ${txAccounts.length} account lists`);
    const firstSeq = this.txIndex.nextSeq();
    if (firstSeq + count > MAX_SEQ) throw new Error("putBlock: tx sequence numbers exhausted");

    // Results, encoded one by one (the record keeps each next to its tx).
    const prepared =
      known.record ?? prepareRecord({ txs, ...(known.resultParts ?? encodeResultParts(results)) });

    // Account heads of the touched accounts (new accounts get ids), then the ids of the record's addresses.
    let accounts: AccountBatch;
    if (known.accounts) {
      if (known.accounts.firstSeq !== firstSeq || known.accounts.txs !== count) {
        throw new Error("putBlock: the block's account entries were collected for another block");
      }
      accounts = known.accounts.batch;
    } else {
      accounts = this.accountIndex.startBlock();
      for (let i = 0; i < count; i++) {
        const seq = firstSeq + i;
        for (const address of txAccounts[i]!) accounts.add(address, seq);
      }
    }
    const record = finishRecord(prepared, accounts.idsOf(prepared.distinct));

    const heightKey = u32Key(height);
    this.cache.delete(height);
    this.headers.putSync(heightKey, headerBytes);
    this.hashes.putSync(Buffer.from(committed.hash), heightKey);
    this.bodies.putSync(heightKey, record);
    this.txIndex.add(heightKey, txs, firstSeq, known.txHashes);
    accounts.write();
    // Read again after the caller's transaction: an aborted one must not leave this height cached.
    this.latest = undefined;
  }

  /** Starts collecting the account index entries of the next block, tx by tx (see putBlock's `known`). */
  startAccounts(): BlockAccounts {
    return new BlockAccounts(this.accountIndex.startBlock(), this.txIndex.nextSeq());
  }

  /** The height of the last stored block (0 when empty); cached, since CheckTx asks for it per tx. */
  latestHeight(): number {
    this.latest ??= this.scanLatestHeight();
    return this.latest;
  }

  private scanLatestHeight(): number {
    for (const key of this.headers.getKeys({ reverse: true, limit: 1 }))
      return Buffer.from(key).readUInt32BE(0);
    return 0;
  }

  header(height: number): BlockHeader | undefined {
    if (!validHeight(height)) return undefined;
    const bytes = this.headers.get(u32Key(height));
    return bytes ? fromBinary(BlockHeaderSchema, bytes) : undefined;
  }

  block(height: number): CommittedBlock | undefined {
    const loaded = this.load(height);
    if (!loaded) return undefined;
    const { header, headerBytes, body } = loaded;
    const txs: Uint8Array[] = new Array(body.count);
    for (let i = 0; i < body.count; i++) txs[i] = body.tx(i);
    return {
      block: create(BlockSchema, { header, txs }),
      hash: sha256(headerBytes),
      results: body.results(),
    };
  }

  blockByHash(hash: Uint8Array): CommittedBlock | undefined {
    if (hash.length !== 32) return undefined;
    const height = this.hashes.get(Buffer.from(hash));
    return height ? this.block(Buffer.from(height).readUInt32BE(0)) : undefined;
  }

  tx(hash: Uint8Array): StoredTx | undefined {
    if (hash.length !== 32) return undefined;
    for (const seq of this.txIndex.candidates(hash)) {
      const location = this.txIndex.blockOfSeq(seq);
      if (!location) continue;
      const loaded = this.load(location.height);
      const index = seq - location.firstSeq;
      if (!loaded || index >= loaded.body.count) continue;
      const tx = loaded.body.tx(index);
      if (bytesEqual(txHash(tx), hash))
        return this.storedTx(loaded, { height: location.height, index }, tx, hash);
    }
    return undefined;
  }

  /** Newest first; cursor-based pagination; `cursor` is opaque (string) from the previous page. */
  txsOfAccount(
    address: string,
    opts: { limit: number; cursor?: string },
  ): { txs: StoredTx[]; nextCursor?: string } {
    const limit = opts.limit;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
    const start = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
    const found = this.accountIndex.page(address, start, limit);
    if (!found) return { txs: [] };
    const { page, more } = found;
    const txs: StoredTx[] = [];
    let located: { firstSeq: number; height: number; count: number } | undefined;
    for (const { seq } of page) {
      if (!located || seq < located.firstSeq || seq >= located.firstSeq + located.count)
        located = this.txIndex.blockOfSeq(seq);
      if (!located) throw new CorruptRecordError(`account index (tx ${seq} is in no block)`);
      const loaded = this.load(located.height);
      const index = seq - located.firstSeq;
      if (!loaded || index >= loaded.body.count) throw new CorruptRecordError(`account index (tx ${seq})`);
      const tx = loaded.body.tx(index);
      txs.push(this.storedTx(loaded, { height: located.height, index }, tx, txHash(tx)));
    }
    const last = page[page.length - 1];
    return more && last ? { txs, nextCursor: encodeCursor(last) } : { txs };
  }

  // -------------------------------------------------------------------------------------------

  private storedTx(loaded: LoadedBlock, location: TxLocation, tx: Uint8Array, hash: Uint8Array): StoredTx {
    return {
      hash: Uint8Array.from(hash),
      height: location.height,
      index: location.index,
      tx,
      result: loaded.body.result(location.index),
      blockTimeMs: loaded.header.timeMs,
    };
  }

  private load(height: number): LoadedBlock | undefined {
    if (!validHeight(height)) return undefined;
    const key = u32Key(height);
    const headerBytes = this.headers.get(key);
    if (!headerBytes) return undefined;
    const cached = this.cache.get(height, headerBytes);
    if (cached) return cached;
    const record = this.bodies.get(key);
    if (!record) throw new CorruptRecordError(`store (block ${height} has a header but no body)`);
    const loaded = {
      headerBytes: Uint8Array.from(headerBytes),
      header: fromBinary(BlockHeaderSchema, headerBytes),
      body: decodeBlockRecord(record, this.accountIndex.addressOfId),
    };
    this.cache.set(height, loaded);
    return loaded;
  }
}

function validHeight(height: number): boolean {
  return Number.isSafeInteger(height) && height >= 1 && height <= 0xffffffff;
}
