import { describe, expect, it } from "vitest";
import * as blockStore from "./index.ts";

describe("block-store/index.ts", () => {
  it("exports the block store's public API and nothing else", () => {
    expect(Object.keys(blockStore).sort()).toEqual([
      "BlockAccounts",
      "BlockBody",
      "BlockStore",
      "RecordBuilder",
      "TxResultsEncoder",
      "blockHash",
      "blockResultsFromParts",
      "decodeBlockRecord",
      "encodeBlockRecord",
      "encodeBlockResults",
      "encodeResultParts",
      "txMerkleRoot",
    ]);
  });
});
