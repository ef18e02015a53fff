/**
 * State-sync snapshot, format 1: the committed state at a height and that height's BTT block,
 * as one deterministic byte stream cut into chunks. Every node that committed the same block
 * writes byte-identical snapshots, so CometBFT can fetch the chunks of one snapshot from
 * several peers.
 *
 * Payload (all integers big-endian):
 *   "BTTS" | u8 format (1)
 *   u32 blockLen   | btt.node.v1.Block (protobuf) of the snapshot height, header included
 *   u32 resultsLen | btt.node.v1.BlockResults (protobuf) of that block
 *   u64 entryCount | entryCount × (u16 keyLen | key | u32 valueLen | value)
 * The entries are every key/value of the authenticated state at the height, keys strictly
 * ascending bytewise. Chunk i is payload[i·chunkBytes, (i+1)·chunkBytes) (the last one may be
 * shorter).
 *
 * Metadata (ABCI Snapshot.metadata):
 *   u8 format (1) | appHash (32) | u32 chunkBytes | u64 payloadBytes | u32 chunkCount
 *   | chunkCount × SHA-256 of each chunk
 * Snapshot hash (ABCI Snapshot.hash) = SHA-256(chunk hash 0 | chunk hash 1 | …).
 */
import { type Block, type BlockResults, BlockResultsSchema, BlockSchema, sha256 } from "@btt/core";
import { MAX_STATE_KEY_LEN } from "@btt/state";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import type { CommittedBlock } from "../block-store/index.ts";

export const SNAPSHOT_FORMAT = 1;
/** Chunk size of the snapshots this node writes: CometBFT's p2p chunk message allows 16 MB. */
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;
const MAGIC = Buffer.from("BTTS", "latin1");
const HASH = 32;
const META_FIXED = 1 + HASH + 4 + 8 + 4;
/** CometBFT's default max_snapshot_chunks; the metadata (32 B a chunk) stays under its 4 MB message. */
export const MAX_SNAPSHOT_CHUNKS = 100_000;

export interface SnapshotMetadata {
  format: number;
  /** The state root at the snapshot height (the app hash CometBFT's next header carries). */
  appHash: Uint8Array;
  chunkBytes: number;
  payloadBytes: number;
  chunkHashes: Uint8Array[];
}

export interface EncodedSnapshot {
  height: number;
  payload: Buffer;
  metadata: SnapshotMetadata;
  /** SHA-256 over the chunk hashes. */
  hash: Uint8Array;
}

export class SnapshotFormatError extends Error {
  override name = "SnapshotFormatError";
}

/** Encodes the block and the state entries (key order, as the state iterates) of one height. */
export function encodeSnapshot(
  committed: CommittedBlock,
  entries: Iterable<[Uint8Array, Uint8Array]>,
  chunkBytes = SNAPSHOT_CHUNK_BYTES,
): EncodedSnapshot {
  const header = committed.block.header;
  if (!header) throw new SnapshotFormatError("the block has no header");
  const block = toBinary(BlockSchema, committed.block);
  const results = toBinary(BlockResultsSchema, committed.results);
  const head = Buffer.alloc(5 + 4);
  MAGIC.copy(head, 0);
  head[4] = SNAPSHOT_FORMAT;
  head.writeUInt32BE(block.length, 5);
  const resultsLen = Buffer.alloc(4);
  resultsLen.writeUInt32BE(results.length, 0);
  const parts: Buffer[] = [head, Buffer.from(block), resultsLen, Buffer.from(results), Buffer.alloc(8)];
  let count = 0n;
  let previous: Buffer | undefined;
  for (const [key, value] of entries) {
    const k = Buffer.from(key);
    if (previous && Buffer.compare(previous, k) >= 0)
      throw new SnapshotFormatError("entries out of key order");
    const rec = Buffer.allocUnsafe(2 + k.length + 4 + value.length);
    rec.writeUInt16BE(k.length, 0);
    k.copy(rec, 2);
    rec.writeUInt32BE(value.length, 2 + k.length);
    rec.set(value, 6 + k.length);
    parts.push(rec);
    previous = k;
    count++;
  }
  parts[4]!.writeBigUInt64BE(count, 0);
  const payload = Buffer.concat(parts);
  const chunkHashes: Uint8Array[] = [];
  for (let at = 0; at < payload.length; at += chunkBytes) {
    chunkHashes.push(sha256(payload.subarray(at, at + chunkBytes)));
  }
  if (chunkHashes.length > MAX_SNAPSHOT_CHUNKS) {
    throw new SnapshotFormatError(`${chunkHashes.length} chunks: above ${MAX_SNAPSHOT_CHUNKS}`);
  }
  const metadata = {
    format: SNAPSHOT_FORMAT,
    appHash: header.appHash,
    chunkBytes,
    payloadBytes: payload.length,
    chunkHashes,
  };
  return { height: Number(header.height), payload, metadata, hash: snapshotHash(chunkHashes) };
}

export function snapshotHash(chunkHashes: readonly Uint8Array[]): Uint8Array {
  return sha256(Buffer.concat(chunkHashes));
}

export function chunkOf(payload: Uint8Array, chunkBytes: number, index: number): Uint8Array {
  return payload.subarray(index * chunkBytes, (index + 1) * chunkBytes);
}

export function encodeMetadata(m: SnapshotMetadata): Uint8Array {
  const out = Buffer.alloc(META_FIXED + HASH * m.chunkHashes.length);
  out[0] = m.format;
  out.set(m.appHash, 1);
  out.writeUInt32BE(m.chunkBytes, 1 + HASH);
  out.writeBigUInt64BE(BigInt(m.payloadBytes), 5 + HASH);
  out.writeUInt32BE(m.chunkHashes.length, 13 + HASH);
  m.chunkHashes.forEach((h, i) => {
    out.set(h, META_FIXED + HASH * i);
  });
  return out;
}

/** Decodes and checks metadata from a peer (untrusted): sizes agree and the chunk count fits. */
export function decodeMetadata(bytes: Uint8Array): SnapshotMetadata {
  const b = Buffer.from(bytes);
  if (b.length < META_FIXED) throw new SnapshotFormatError("metadata too short");
  if (b[0] !== SNAPSHOT_FORMAT) throw new SnapshotFormatError(`metadata of format ${b[0]}`);
  const chunkBytes = b.readUInt32BE(1 + HASH);
  const payloadBytes = b.readBigUInt64BE(5 + HASH);
  const count = b.readUInt32BE(13 + HASH);
  if (b.length !== META_FIXED + HASH * count) throw new SnapshotFormatError("metadata length");
  if (chunkBytes < 1 || count < 1 || count > MAX_SNAPSHOT_CHUNKS) {
    throw new SnapshotFormatError("metadata chunk size or count out of range");
  }
  if (
    payloadBytes > BigInt(chunkBytes) * BigInt(count) ||
    payloadBytes <= BigInt(chunkBytes) * BigInt(count - 1)
  ) {
    throw new SnapshotFormatError("metadata payload size does not match its chunks");
  }
  const chunkHashes: Uint8Array[] = [];
  for (let i = 0; i < count; i++)
    chunkHashes.push(b.subarray(META_FIXED + HASH * i, META_FIXED + HASH * (i + 1)));
  return {
    format: SNAPSHOT_FORMAT,
    appHash: b.subarray(1, 1 + HASH),
    chunkBytes,
    payloadBytes: Number(payloadBytes),
    chunkHashes,
  };
}

export interface DecodedSnapshot {
  committed: { block: Block; results: BlockResults };
  entries: Array<[Uint8Array, Uint8Array]>;
}

/**
 * Reads a payload chunk by chunk, in order, keeping only the bytes of a record cut by a chunk
 * boundary. Throws SnapshotFormatError at the first malformed byte.
 */
export class SnapshotDecoder {
  private pending: Buffer = Buffer.alloc(0);
  private stage: "head" | "block" | "results" | "count" | "entries" | "done" = "head";
  private block: Block | undefined;
  private results: BlockResults | undefined;
  private remaining = 0n;
  private previousKey: Buffer | undefined;
  private readonly entries: Array<[Uint8Array, Uint8Array]> = [];

  push(chunk: Uint8Array): void {
    const b = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : Buffer.from(chunk);
    let at = 0;
    const have = (n: number) => b.length - at >= n;
    for (;;) {
      if (this.stage === "head") {
        if (!have(9)) break;
        if (!b.subarray(at, at + 4).equals(MAGIC) || b[at + 4] !== SNAPSHOT_FORMAT) {
          throw new SnapshotFormatError("not a format 1 snapshot");
        }
        at += 5;
        this.stage = "block";
      } else if (this.stage === "block" || this.stage === "results") {
        if (!have(4)) break;
        const len = b.readUInt32BE(at);
        if (!have(4 + len)) break;
        const body = b.subarray(at + 4, at + 4 + len);
        try {
          if (this.stage === "block") this.block = fromBinary(BlockSchema, body);
          else this.results = fromBinary(BlockResultsSchema, body);
        } catch (err) {
          throw new SnapshotFormatError(`undecodable ${this.stage}: ${(err as Error).message}`);
        }
        at += 4 + len;
        this.stage = this.stage === "block" ? "results" : "count";
      } else if (this.stage === "count") {
        if (!have(8)) break;
        this.remaining = b.readBigUInt64BE(at);
        at += 8;
        this.stage = this.remaining === 0n ? "done" : "entries";
      } else if (this.stage === "entries") {
        if (!have(2)) break;
        const keyLen = b.readUInt16BE(at);
        if (keyLen < 1 || keyLen > MAX_STATE_KEY_LEN) throw new SnapshotFormatError(`key of ${keyLen} bytes`);
        if (!have(2 + keyLen + 4)) break;
        const valueLen = b.readUInt32BE(at + 2 + keyLen);
        if (!have(6 + keyLen + valueLen)) break;
        const key = Buffer.from(b.subarray(at + 2, at + 2 + keyLen));
        if (this.previousKey && Buffer.compare(this.previousKey, key) >= 0) {
          throw new SnapshotFormatError("entries out of key order");
        }
        this.entries.push([key, Buffer.from(b.subarray(at + 6 + keyLen, at + 6 + keyLen + valueLen))]);
        this.previousKey = key;
        at += 6 + keyLen + valueLen;
        if (--this.remaining === 0n) this.stage = "done";
      } else {
        if (at < b.length) throw new SnapshotFormatError("bytes after the last entry");
        break;
      }
    }
    this.pending = Buffer.from(b.subarray(at));
  }

  /** The decoded snapshot, once every chunk was pushed; throws if the payload stopped early. */
  finish(): DecodedSnapshot {
    if (this.stage !== "done" || this.pending.length > 0)
      throw new SnapshotFormatError("the payload ends early");
    return { committed: { block: this.block!, results: this.results! }, entries: this.entries };
  }
}
