/**
 * The snapshots a node serves to peers that join by state sync: one directory a height under
 * `<data dir>/snapshots/`, holding `metadata.bin` and `payload.bin` (format.ts). A snapshot is
 * written to `<height>.tmp/` and renamed, so a listed snapshot is always whole; only the
 * newest `keep` are kept.
 */
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import {
  decodeMetadata,
  type EncodedSnapshot,
  encodeMetadata,
  SNAPSHOT_FORMAT,
  snapshotHash,
} from "./format.ts";

/** A snapshot as ABCI's ListSnapshots names it. */
export interface SnapshotInfo {
  height: number;
  format: number;
  chunks: number;
  hash: Uint8Array;
  metadata: Uint8Array;
}

export class SnapshotStore {
  constructor(
    readonly dir: string,
    /** Snapshots kept on disk (the newest ones); at least 1. */
    readonly keep: number,
  ) {
    if (!Number.isSafeInteger(keep) || keep < 1) throw new RangeError("keep must be an integer >= 1");
  }

  save(encoded: EncodedSnapshot): void {
    mkdirSync(this.dir, { recursive: true });
    const final = join(this.dir, String(encoded.height));
    const tmp = `${final}.tmp`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    writeFileSync(join(tmp, "payload.bin"), encoded.payload);
    writeFileSync(join(tmp, "metadata.bin"), encodeMetadata(encoded.metadata));
    rmSync(final, { recursive: true, force: true });
    renameSync(tmp, final);
    for (const height of this.heights().slice(this.keep)) {
      rmSync(join(this.dir, String(height)), { recursive: true, force: true });
    }
  }

  /** Newest first. */
  list(): SnapshotInfo[] {
    return this.heights().map((height) => {
      const metadata = readFileSync(join(this.dir, String(height), "metadata.bin"));
      const m = decodeMetadata(metadata);
      return {
        height,
        format: SNAPSHOT_FORMAT,
        chunks: m.chunkHashes.length,
        hash: snapshotHash(m.chunkHashes),
        metadata,
      };
    });
  }

  /** Chunk `index` of a stored snapshot; undefined when there is no such snapshot or chunk. */
  loadChunk(height: number, format: number, index: number): Uint8Array | undefined {
    if (format !== SNAPSHOT_FORMAT || !Number.isSafeInteger(height)) return undefined;
    const dir = join(this.dir, String(height));
    if (!existsSync(join(dir, "metadata.bin"))) return undefined;
    const m = decodeMetadata(readFileSync(join(dir, "metadata.bin")));
    if (!Number.isSafeInteger(index) || index < 0 || index >= m.chunkHashes.length) return undefined;
    const offset = index * m.chunkBytes;
    const out = Buffer.alloc(Math.min(m.chunkBytes, m.payloadBytes - offset));
    const fd = openSync(join(dir, "payload.bin"), "r");
    try {
      let read = 0;
      while (read < out.length) {
        const n = readSync(fd, out, read, out.length - read, offset + read);
        if (n === 0) return undefined;
        read += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Heights of the whole snapshots on disk, newest first. */
  private heights(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => /^[1-9]\d*$/.test(name) && existsSync(join(this.dir, name, "metadata.bin")))
      .map(Number)
      .sort((a, b) => b - a);
  }
}
