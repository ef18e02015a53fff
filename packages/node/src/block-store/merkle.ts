// The block hash and tx Merkle root live in @btt/core, shared with clients that recompute them.
export { blockHash, txMerkleRoot } from "@btt/core";
