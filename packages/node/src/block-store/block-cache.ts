// The decoded-block cache of BlockStore: recently read blocks, bounded in count and bytes.
import { type BlockHeader, bytesEqual } from "@btt/core";
import type { BlockBody } from "./record.ts";

export interface LoadedBlock {
  headerBytes: Uint8Array;
  header: BlockHeader;
  body: BlockBody;
}

export class BlockCache {
  /** Least recently used first. */
  private readonly blocks = new Map<number, LoadedBlock>();
  private bytes = 0;

  constructor(
    private readonly maxBlocks: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * The cached block at `height` if it was decoded with these header bytes (then it becomes the most
   * recently used). Comparing headers keeps a block read inside a transaction that was then aborted
   * from being served.
   */
  get(height: number, headerBytes: Uint8Array): LoadedBlock | undefined {
    const cached = this.blocks.get(height);
    if (!cached || !bytesEqual(cached.headerBytes, headerBytes)) return undefined;
    this.blocks.delete(height);
    this.blocks.set(height, cached);
    return cached;
  }

  /** Caches a block, then evicts the least recently used ones beyond the bounds (never this one). */
  set(height: number, loaded: LoadedBlock): void {
    this.delete(height);
    this.blocks.set(height, loaded);
    this.bytes += loaded.body.size;
    for (const [h, old] of this.blocks) {
      if (this.blocks.size <= 1 || (this.blocks.size <= this.maxBlocks && this.bytes <= this.maxBytes)) break;
      this.blocks.delete(h);
      this.bytes -= old.body.size;
    }
  }

  delete(height: number): void {
    const cached = this.blocks.get(height);
    if (!cached) return;
    this.blocks.delete(height);
    this.bytes -= cached.body.size;
  }
}
