export { StateError, type StateErrorCode } from "./errors.ts";
export { EMPTY_ROOT, sha256 } from "./hash.ts";
export {
  decodeProof,
  encodeProof,
  type MerkleProof,
  type ProofStep,
  type ProofTerminal,
  verifyProof,
} from "./proof.ts";
export {
  AuthenticatedState,
  type AuthenticatedStateOptions,
  MAX_STATE_KEY_LEN,
  PreparedCommit,
} from "./store.ts";
