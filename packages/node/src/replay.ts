import { BttError, bytesEqual, decodeTx, toHex } from "@btt/core";
import type { Ledger } from "./ledger.ts";

/**
 * Re-executes committed blocks of `source` on `target` (a ledger of the same genesis that
 * is behind) and checks every block's app hash: the proof that the stored chain is what
 * its transactions produce.
 */
export function replayBlocks(source: Ledger, target: Ledger, toHeight = source.height): number {
  for (let height = target.height + 1; height <= toHeight; height++) {
    const stored = source.blocks.block(height);
    if (!stored) throw new BttError("NOT_FOUND", `block ${height} is missing from the source`);
    const header = stored.block.header!;
    const replayed = target.commitBlock(
      stored.block.txs.map((bytes) => ({
        decoded: decodeTx(bytes, Number.MAX_SAFE_INTEGER),
        signatureVerified: false,
      })),
      header.timeMs,
      header.proposer,
    );
    const got = replayed.block.header!.appHash;
    if (!bytesEqual(got, header.appHash)) {
      throw new BttError("INTERNAL", `replay diverges at block ${height}`, {
        stored: toHex(header.appHash),
        replayed: toHex(got),
      });
    }
  }
  return target.height;
}
