import type { Ledger } from "../ledger.ts";
import { encodeSnapshot, SNAPSHOT_CHUNK_BYTES } from "./format.ts";
import type { SnapshotStore } from "./store.ts";

export * from "./format.ts";
export * from "./restore.ts";
export * from "./store.ts";

/**
 * Writes a snapshot of the ledger's latest height to `store`. Synchronous: it reads the whole
 * state (consistent because nothing commits meanwhile), encodes, hashes and writes it; call it
 * right after a commit. Returns the snapshot's height, size and the milliseconds it took.
 */
export function takeSnapshot(ledger: Ledger, store: SnapshotStore, chunkBytes = SNAPSHOT_CHUNK_BYTES) {
  const started = performance.now();
  const { block, entries } = ledger.snapshotSource();
  const encoded = encodeSnapshot(block, entries, chunkBytes);
  store.save(encoded);
  return {
    height: encoded.height,
    bytes: encoded.payload.length,
    chunks: encoded.metadata.chunkHashes.length,
    ms: performance.now() - started,
  };
}
