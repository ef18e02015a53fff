import { BTT_DENOM } from "@btt/modules";
import { describe, expect, it } from "vitest";
import { formatAmount, parseUserAmount } from "../src/amounts.ts";

const DENOMS = [
  BTT_DENOM,
  { denom: "upoint", display: "POINT", decimals: 2 },
  { denom: "voucher", display: "voucher", decimals: 0 },
];

describe("parseUserAmount", () => {
  it("scales display units by the denomination's decimals, as text", () => {
    expect(parseUserAmount("5btt", DENOMS)).toEqual({ denom: "ubtt", amount: 5_000_000n });
    expect(parseUserAmount("2.5BTT", DENOMS)).toEqual({ denom: "ubtt", amount: 2_500_000n });
    expect(parseUserAmount("0.000001btt", DENOMS)).toEqual({ denom: "ubtt", amount: 1n });
    // a value a float would round: 2^53 + 1 base units
    expect(parseUserAmount("9007199254.740993btt", DENOMS)).toEqual({
      denom: "ubtt",
      amount: 9_007_199_254_740_993n,
    });
    expect(parseUserAmount("5000000ubtt", DENOMS)).toEqual({ denom: "ubtt", amount: 5_000_000n });
    expect(parseUserAmount("1.25point", DENOMS)).toEqual({ denom: "upoint", amount: 125n });
    expect(parseUserAmount("3voucher", DENOMS)).toEqual({ denom: "voucher", amount: 3n });
  });

  it("refuses too many decimals, fractions of base units, zero, junk and unknown denominations", () => {
    const cases: Array<[string, RegExp]> = [
      ["1.0000001btt", /has 7 decimals; BTT has at most 6/],
      ["1.001point", /has 3 decimals; POINT has at most 2/],
      ["0.5ubtt", /ubtt is a base unit, so the amount must be a whole number/],
      ["1.5voucher", /voucher is a base unit/],
      ["0btt", /must be positive/],
      ["0.000000btt", /must be positive/],
      ["-1btt", /must be a number followed by a denomination/],
      ["1e3btt", /unknown denomination "e3btt"/],
      [".5btt", /must be a number followed by a denomination/],
      ["5 btt", /must be a number followed by a denomination/],
      ["5", /must be a number followed by a denomination/],
      ["btt", /must be a number followed by a denomination/],
      ["5eth", /unknown denomination "eth" \(known: btt, ubtt, point, upoint, voucher, voucher\)/],
      ["05btt", /must be a number followed by a denomination/],
      [`${"9".repeat(80)}ubtt`, /exceeds 2\^256-1 base units/],
      [`${"9".repeat(72)}btt`, /exceeds 2\^256-1 base units/],
    ];
    for (const [text, reason] of cases) expect(() => parseUserAmount(text, DENOMS), text).toThrow(reason);
  });
});

describe("formatAmount", () => {
  it("writes base units in display units without trailing zeros", () => {
    expect(formatAmount(2_500_000n, "ubtt", DENOMS)).toBe("2.5 BTT");
    expect(formatAmount(1n, "ubtt", DENOMS)).toBe("0.000001 BTT");
    expect(formatAmount(0n, "ubtt", DENOMS)).toBe("0 BTT");
    expect(formatAmount(7n, "voucher", DENOMS)).toBe("7voucher");
    expect(formatAmount(7n, "unknown", DENOMS)).toBe("7unknown");
  });
});
