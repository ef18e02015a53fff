// Proof verification and the proofs' binary form are protocol shared with clients, so they live
// in @btt/core (browser-safe); the state builds proofs (reader.ts) and re-exports the rest.
export {
  decodeProof,
  EMPTY_ROOT,
  encodeProof,
  type MerkleProof,
  type ProofStep,
  type ProofTerminal,
  verifyProof,
} from "@btt/core";
