// The benches' accounts, derived from their index so that separate processes (bench:api's server
// and its load process) agree on them without passing keys around.
import { ed25519Signer, type Signer, sha256 } from "@btt/core";

/** Account `i`; a negative index is the validator. */
export function benchSigner(i: number): Signer {
  return ed25519Signer(sha256(Buffer.from(i < 0 ? "bench-validator" : `bench-account-${i}`)));
}
