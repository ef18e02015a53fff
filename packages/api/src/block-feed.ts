// Committed blocks as the API's push side sees them: each block's derived facts (tx hashes, decoded
// txs, JSON texts) computed once, lazily, and shared by every commit waiter and subscriber; recent
// blocks kept so that subscribers replaying or catching up do not decode them again.
import { type DecodedTx, decodeTx, toHex, txHash } from "@btt/core";
import type { BttNode, CommittedBlock } from "@btt/node";
import type { DescMessage } from "@bufbuild/protobuf";
import { blockJson, committedTxJson } from "./views.ts";

export class BlockFacts {
  readonly height: number;
  private hashes?: Uint8Array[];
  private hexes?: string[];
  private decodedTxs?: Array<DecodedTx | undefined>;
  private blockText?: string;
  private readonly txTexts: Array<string | undefined> = [];

  constructor(
    readonly block: CommittedBlock,
    private readonly types: Map<string, DescMessage>,
  ) {
    this.height = Number(block.block.header!.height);
  }

  get txCount(): number {
    return this.block.block.txs.length;
  }

  hash(i: number): Uint8Array {
    this.hashes ??= this.block.block.txs.map(txHash);
    return this.hashes[i]!;
  }

  hashHex(i: number): string {
    if (!this.hexes) {
      const n = this.txCount;
      this.hexes = new Array(n);
      for (let k = 0; k < n; k++) this.hexes[k] = toHex(this.hash(k));
    }
    return this.hexes[i]!;
  }

  /** The decoded tx (undefined if its bytes do not decode: a committed tx always does). */
  decoded(i: number): DecodedTx | undefined {
    this.decodedTxs ??= new Array(this.txCount);
    let d = this.decodedTxs[i];
    if (!d) {
      try {
        d = decodeTx(this.block.block.txs[i]!, Number.MAX_SAFE_INTEGER);
      } catch {
        return undefined;
      }
      this.decodedTxs[i] = d;
    }
    return d;
  }

  json(): ReturnType<typeof blockJson> {
    this.hashes ??= this.block.block.txs.map(txHash);
    return blockJson(this.block, this.hashes);
  }

  blockJsonText(): string {
    this.blockText ??= JSON.stringify(this.json());
    return this.blockText;
  }

  txJsonText(i: number): string {
    let text = this.txTexts[i];
    if (text === undefined) {
      text = JSON.stringify(committedTxJson(this.block, i, this.hash(i), this.types));
      this.txTexts[i] = text;
    }
    return text;
  }
}

/** Recent blocks' facts by height, fed by the node's block listener, filled from the store on a miss. */
export class BlockFeed {
  private readonly recent = new Map<number, BlockFacts>();
  private readonly listeners = new Set<(facts: BlockFacts) => void>();
  private readonly unsubscribe: () => void;
  /** The latest committed height, kept from the node's block events (reading it from LMDB costs µs). */
  height: number;

  constructor(
    private readonly node: BttNode,
    private readonly types: Map<string, DescMessage>,
    private readonly keep = 16,
  ) {
    this.height = node.height;
    this.unsubscribe = node.onBlock((block) => {
      const facts = new BlockFacts(block, types);
      this.height = facts.height;
      this.remember(facts);
      for (const listener of this.listeners) {
        try {
          listener(facts);
        } catch {
          // A listener's failure must never reach block production.
        }
      }
    });
  }

  onBlock(listener: (facts: BlockFacts) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The committed block at `height`, or undefined when there is none (yet). */
  at(height: number): BlockFacts | undefined {
    const cached = this.recent.get(height);
    if (cached) return cached;
    const block = this.node.ledger.blocks.block(height);
    if (!block) return undefined;
    const facts = new BlockFacts(block, this.types);
    this.remember(facts);
    return facts;
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
    this.recent.clear();
  }

  private remember(facts: BlockFacts): void {
    this.recent.delete(facts.height);
    this.recent.set(facts.height, facts);
    while (this.recent.size > this.keep) this.recent.delete(this.recent.keys().next().value as number);
  }
}
