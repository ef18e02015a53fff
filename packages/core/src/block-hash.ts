// The hashes a block header commits to: the block hash and the Merkle root of its txs. Here
// (not in the node) so that clients recompute them with the same code.
import { toBinary } from "@bufbuild/protobuf";
import { type BlockHeader, BlockHeaderSchema } from "./gen/btt/node/v1/block_pb.ts";
import { sha256 } from "./hash.ts";

/** Block hash: SHA-256 of the encoded header. */
export function blockHash(header: BlockHeader): Uint8Array {
  return sha256(toBinary(BlockHeaderSchema, header));
}

const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

/**
 * Merkle root of tx hashes, RFC 6962 style: leaf = SHA-256(0x00 ‖ hash), inner node =
 * SHA-256(0x01 ‖ left ‖ right), the left subtree holding the largest power of two of the leaves.
 * Empty: SHA-256("").
 */
export function txMerkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  const tree = new TxMerkleTree();
  for (const h of hashes) tree.add(h);
  return tree.root();
}

/**
 * The tx Merkle root built one tx at a time, so a block producer can hash its txs as it executes
 * them. It keeps the roots of the perfect subtrees so far (sizes the binary digits of the count,
 * largest first); two of the same size merge as soon as they exist, and the root folds the rest
 * from the right, which is RFC 6962's split at the largest power of two.
 */
export class TxMerkleTree {
  private readonly roots: Uint8Array[] = [];
  private readonly sizes: number[] = [];
  private readonly scratch = new Uint8Array(65);
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(hash: Uint8Array): void {
    const leaf = new Uint8Array(1 + hash.length);
    leaf[0] = LEAF_PREFIX;
    leaf.set(hash, 1);
    let node = sha256(leaf);
    let size = 1;
    while (this.sizes.length > 0 && this.sizes[this.sizes.length - 1] === size) {
      node = this.parent(this.roots.pop()!, node);
      this.sizes.pop();
      size *= 2;
    }
    this.roots.push(node);
    this.sizes.push(size);
    this.count++;
  }

  root(): Uint8Array {
    if (this.roots.length === 0) return sha256(new Uint8Array(0));
    let node = this.roots[this.roots.length - 1]!;
    for (let i = this.roots.length - 2; i >= 0; i--) node = this.parent(this.roots[i]!, node);
    return node;
  }

  private parent(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.scratch[0] = NODE_PREFIX;
    this.scratch.set(left, 1);
    this.scratch.set(right, 33);
    return sha256(this.scratch);
  }
}
