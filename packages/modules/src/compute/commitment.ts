// The hashes workers and auditors commit to. Browser-safe: the worker, the SDK and the chain
// compute them the same way.
import { addressBytes, sha256, toHex, utf8 } from "@btt/core";
import { join } from "../staking/keys.ts";

function be(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * SHA-256("btt/compute/commit/v1" ‖ task id (u64) ‖ shard (u32) ‖ replica (u32) ‖ worker address
 * bytes ‖ result SHA-256 ‖ salt): binding the worker's address means a commitment cannot be copied.
 */
export function resultCommitment(
  taskId: bigint,
  shard: number,
  replica: number,
  worker: string,
  resultSha256: Uint8Array,
  salt: Uint8Array,
): string {
  return toHex(
    sha256(
      join(
        utf8.encode("btt/compute/commit/v1"),
        be(taskId, 8),
        be(BigInt(shard), 4),
        be(BigInt(replica), 4),
        addressBytes(worker),
        resultSha256,
        salt,
      ),
    ),
  );
}

/** SHA-256("btt/compute/seal/v1" ‖ auditor address bytes ‖ expected result hashes ‖ salt). */
export function auditSeal(auditor: string, expected: readonly Uint8Array[], salt: Uint8Array): string {
  return toHex(sha256(join(utf8.encode("btt/compute/seal/v1"), addressBytes(auditor), ...expected, salt)));
}
