// The bench:api accounts, derived from their index so the server and the load process agree.
import { ed25519Signer, type Signer, sha256 } from "@btt/core";

export function benchSigner(i: number): Signer {
  return ed25519Signer(sha256(Buffer.from(i < 0 ? "bench-api-validator" : `bench-api-account-${i}`)));
}
