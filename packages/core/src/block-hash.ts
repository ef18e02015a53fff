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
 * SHA-256(0x01 ‖ left ‖ right), the left subtree holding the largest power of two of the leaves
 * (built bottom-up: an unpaired last node moves up a level unchanged). Empty: SHA-256("").
 */
export function txMerkleRoot(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return sha256(new Uint8Array(0));
  const scratch = new Uint8Array(65);
  let level: Uint8Array[] = hashes.map((h) => {
    const leaf = new Uint8Array(1 + h.length);
    leaf[0] = LEAF_PREFIX;
    leaf.set(h, 1);
    return sha256(leaf);
  });
  scratch[0] = NODE_PREFIX;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      scratch.set(level[i]!, 1);
      scratch.set(level[i + 1]!, 33);
      next.push(sha256(scratch));
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  return level[0]!;
}
