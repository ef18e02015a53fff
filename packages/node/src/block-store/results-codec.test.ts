import { BlockResultsSchema, TxResultSchema } from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockResultsFromParts, encodeBlockResults, encodeResultParts } from "./results-codec.ts";

describe("encodeBlockResults", () => {
  const text = fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ minLength: 100, maxLength: 300 }),
  );
  const event = fc.record({
    type: text,
    attributes: fc.array(fc.record({ key: text, value: text }), { maxLength: 4 }),
  });
  const txResult = fc.record({
    code: fc.oneof(fc.constant(0), fc.nat({ max: 30 }), fc.constant(0xffffffff)),
    log: text,
    events: fc.array(event, { maxLength: 4 }),
    fee: text,
  });

  it("is byte-identical to toBinary", () => {
    fc.assert(
      fc.property(
        fc.array(txResult, { maxLength: 8 }),
        fc.array(event, { maxLength: 2 }),
        fc.array(event, { maxLength: 2 }),
        (txResults, begin, end) => {
          const results = create(BlockResultsSchema, {
            txResults: txResults.map((r) => create(TxResultSchema, r)),
            beginBlockEvents: begin,
            endBlockEvents: end,
          });
          const canonical = Buffer.from(toBinary(BlockResultsSchema, results));
          expect(Buffer.from(encodeBlockResults(results))).toEqual(canonical);
          // The same bytes again from the parts a block record keeps (for results_hash).
          expect(Buffer.from(blockResultsFromParts(encodeResultParts(results)))).toEqual(canonical);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("handles a long log (multi-byte lengths)", () => {
    const results = create(BlockResultsSchema, {
      txResults: [
        create(TxResultSchema, { code: 5, log: "é".repeat(20_000), events: [{ type: "x".repeat(200) }] }),
      ],
    });
    const canonical = Buffer.from(toBinary(BlockResultsSchema, results));
    expect(Buffer.from(encodeBlockResults(results))).toEqual(canonical);
    expect(Buffer.from(blockResultsFromParts(encodeResultParts(results)))).toEqual(canonical);
  });
});
