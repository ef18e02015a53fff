export { StateError, type StateErrorCode } from "./errors.ts";
export { sha256 } from "./hash.ts";
export {
  decodeProof,
  EMPTY_ROOT,
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
