/**
 * The joining side of state sync: a snapshot offered by CometBFT, its chunks applied in order,
 * and on the last one the ledger rebuilt and checked against the app hash CometBFT's light
 * client verified. Only that app hash is trusted; the snapshot's metadata (chunk hashes) comes
 * from a peer, so it only lets a bad chunk be told from a good one early.
 *
 * Outcomes follow ABCI's OfferSnapshot / ApplySnapshotChunk results:
 * - a chunk whose hash is not the metadata's: RETRY, refetch it, reject its sender;
 * - chunks that hash right but do not decode, or a rebuilt root that is not the trusted app
 *   hash: REJECT_SNAPSHOT (the metadata itself lied; CometBFT tries another snapshot);
 * - a chunk with no snapshot in progress, or a ledger that is not empty: ABORT.
 */
import { BttError, bytesEqual, sha256, toHex } from "@btt/core";
import { blockHash } from "../block-store/index.ts";
import type { Ledger } from "../ledger.ts";
import {
  decodeMetadata,
  SNAPSHOT_FORMAT,
  SnapshotDecoder,
  type SnapshotMetadata,
  snapshotHash,
} from "./format.ts";
import type { SnapshotInfo } from "./store.ts";

export type OfferOutcome = "accept" | "abort" | "reject" | "reject_format";

export interface ApplyOutcome {
  result: "accept" | "abort" | "retry" | "reject_snapshot";
  refetchChunks: number[];
  rejectSenders: string[];
  /** Why, for the log. */
  reason?: string;
}

interface Restoring {
  height: number;
  metadata: SnapshotMetadata;
  trustedAppHash: Uint8Array;
  next: number;
  decoder: SnapshotDecoder;
}

export class SnapshotRestorer {
  private restoring: Restoring | undefined;
  /** The height restored, once the last chunk is in. */
  restoredHeight: number | undefined;

  constructor(private readonly ledger: Ledger) {}

  offer(snapshot: SnapshotInfo, trustedAppHash: Uint8Array): { result: OfferOutcome; reason?: string } {
    this.restoring = undefined;
    if (this.ledger.height !== 0) {
      return { result: "abort", reason: `the ledger is at ${this.ledger.height}, not empty` };
    }
    if (snapshot.format !== SNAPSHOT_FORMAT)
      return { result: "reject_format", reason: `format ${snapshot.format}` };
    let metadata: SnapshotMetadata;
    try {
      metadata = decodeMetadata(snapshot.metadata);
    } catch (err) {
      return { result: "reject", reason: (err as Error).message };
    }
    if (!Number.isSafeInteger(snapshot.height) || snapshot.height < 1 || snapshot.height > 0xffffffff) {
      return { result: "reject", reason: `height ${snapshot.height}` };
    }
    if (
      snapshot.chunks !== metadata.chunkHashes.length ||
      !bytesEqual(snapshot.hash, snapshotHash(metadata.chunkHashes))
    ) {
      return { result: "reject", reason: "the snapshot's hash or chunk count does not match its metadata" };
    }
    if (!bytesEqual(metadata.appHash, trustedAppHash)) {
      return {
        result: "reject",
        reason: `the snapshot's app hash ${toHex(metadata.appHash)} is not the trusted ${toHex(trustedAppHash)}`,
      };
    }
    this.restoring = {
      height: snapshot.height,
      metadata,
      trustedAppHash: Uint8Array.from(trustedAppHash),
      next: 0,
      decoder: new SnapshotDecoder(),
    };
    return { result: "accept" };
  }

  apply(index: number, chunk: Uint8Array, sender: string): ApplyOutcome {
    const r = this.restoring;
    const outcome = (
      result: ApplyOutcome["result"],
      reason?: string,
      refetch: number[] = [],
      reject: string[] = [],
    ) => ({
      result,
      refetchChunks: refetch,
      rejectSenders: reject,
      ...(reason ? { reason } : {}),
    });
    if (!r) return outcome("abort", "no snapshot is being restored");
    if (index !== r.next) {
      // CometBFT applies chunks in order; an earlier one again means it refetched: start over.
      return outcome("reject_snapshot", `chunk ${index} while ${r.next} was expected`);
    }
    if (!bytesEqual(sha256(chunk), r.metadata.chunkHashes[index]!)) {
      return outcome(
        "retry",
        `chunk ${index} does not hash to the metadata's`,
        [index],
        sender ? [sender] : [],
      );
    }
    try {
      r.decoder.push(chunk);
      r.next++;
      if (r.next < r.metadata.chunkHashes.length) return outcome("accept");
      this.finish(r);
    } catch (err) {
      this.restoring = undefined;
      return outcome("reject_snapshot", (err as Error).message);
    }
    this.restoring = undefined;
    this.restoredHeight = r.height;
    return outcome("accept");
  }

  private finish(r: Restoring): void {
    const { committed, entries } = r.decoder.finish();
    const header = committed.block.header;
    if (!header || Number(header.height) !== r.height) {
      throw new BttError("INVALID_REQUEST", `the snapshot's block is not block ${r.height}`);
    }
    if (!bytesEqual(header.appHash, r.trustedAppHash)) {
      throw new BttError("INVALID_REQUEST", "the snapshot's block does not carry the trusted app hash");
    }
    this.ledger.restoreSnapshot(
      { block: committed.block, hash: blockHash(header), results: committed.results },
      entries,
    );
  }
}
