import { BttError, MAX_AMOUNT, MsgMultiSendSchema, MsgSendSchema } from "@btt/core";
import { createBankModule } from "@btt/modules";
import { Application } from "@btt/node";
import { fromBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  bank,
  formatDenomAmount,
  MESSAGE_SCHEMAS,
  messageToJson,
  parseDenomAmount,
  signerFromSeedHex,
} from "../src/index.ts";
import { codeOf } from "./helpers.ts";

const alice = signerFromSeedHex("01".repeat(32)).address;
const bob = signerFromSeedHex("02".repeat(32)).address;

describe("parseDenomAmount", () => {
  test("scales decimal strings exactly", () => {
    expect(parseDenomAmount("1.5", 6)).toBe(1_500_000n);
    expect(parseDenomAmount("0.000001", 6)).toBe(1n);
    expect(parseDenomAmount("0", 6)).toBe(0n);
    expect(parseDenomAmount("42", 0)).toBe(42n);
    expect(parseDenomAmount("1.50", 2)).toBe(150n);
    expect(parseDenomAmount("123456789012345678901234567890.123456", 6)).toBe(
      123456789012345678901234567890123456n,
    );
  });

  test.each([
    ["1.0000001", 6, "too many decimals"],
    ["-1", 6, "negative"],
    ["+1", 6, "sign"],
    ["1e6", 6, "exponent"],
    ["1E-6", 6, "exponent"],
    ["1.", 6, "no digits after the point"],
    [".5", 6, "no digits before the point"],
    [" 1", 6, "space"],
    ["1,5", 6, "comma"],
    ["01", 6, "leading zero"],
    ["0x10", 6, "hex"],
    ["", 6, "empty"],
    ["NaN", 6, "not a number"],
    ["Infinity", 6, "not a number"],
    ["1.5", 0, "decimals on a base unit"],
  ])("rejects %j with %i decimals (%s)", (text, decimals) => {
    expect(codeOf(() => parseDenomAmount(text as string, decimals as number))).toBe("INVALID_AMOUNT");
  });

  test("rejects numbers (floats) and out-of-range values and decimals", () => {
    expect(codeOf(() => parseDenomAmount(1.5 as unknown as string, 6))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => parseDenomAmount((MAX_AMOUNT + 1n).toString(), 0))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => parseDenomAmount("1", -1))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => parseDenomAmount("1", 1.5))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => parseDenomAmount("1", 78))).toBe("INVALID_AMOUNT");
  });

  test("formatDenomAmount is its inverse", () => {
    expect(formatDenomAmount(1_500_000n, 6)).toBe("1.5");
    expect(formatDenomAmount(1n, 6)).toBe("0.000001");
    expect(formatDenomAmount(2_000_000n, 6)).toBe("2");
    expect(formatDenomAmount(0n, 6)).toBe("0");
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: MAX_AMOUNT }),
        fc.integer({ min: 0, max: 18 }),
        (amount, decimals) => {
          expect(parseDenomAmount(formatDenomAmount(amount, decimals), decimals)).toBe(amount);
        },
      ),
    );
  });
});

describe("message builders", () => {
  const bankModule = createBankModule();
  /** The chain's own stateless check of a message (what the mempool runs). */
  const chainValidate = (m: { type: string; value: Uint8Array }) => {
    const type = bankModule.messages.find((t) => t.type === m.type)!;
    type.validate(fromBinary(type.schema, m.value) as never, { sender: alice } as never);
  };

  test("cover every message type the chain has", () => {
    // The modules whose messages the SDK builds (a module that adds messages joins this list).
    const covered = new Set(["bank", "identity", "consent", "records", "compute", "staking"]);
    const chainMessages = new Application("btt-sdk-1").modules
      .filter((m) => covered.has(m.name))
      .flatMap((m) => m.messages);
    expect([...MESSAGE_SCHEMAS.keys()].sort()).toEqual(chainMessages.map((t) => t.type).sort());
    for (const t of chainMessages) expect(MESSAGE_SCHEMAS.get(t.type)).toBe(t.schema);
  });

  test("build messages the chain accepts, coins sorted, amounts in any allowed form", () => {
    const send = bank.send({
      to: bob,
      amount: [
        { denom: "uusd", amount: "25" },
        { denom: "ubtt", amount: "1.5", decimals: 6 },
      ],
    });
    expect(send.type).toBe("bank/Send");
    const decoded = fromBinary(MsgSendSchema, send.value);
    expect(decoded.to).toBe(bob);
    expect(decoded.amount.map((c) => [c.denom, c.amount])).toEqual([
      ["ubtt", "1500000"],
      ["uusd", "25"],
    ]);
    const multi = bank.multiSend({
      outputs: [
        { to: bob, amount: { denom: "ubtt", amount: 5n } },
        { to: alice, amount: [{ denom: "ubtt", amount: "7" }] },
      ],
    });
    expect(fromBinary(MsgMultiSendSchema, multi.value).outputs).toHaveLength(2);
    const mint = bank.mint({ to: alice, amount: { denom: "ubtt", amount: 10n } });
    const burn = bank.burn({ amount: { denom: "ubtt", amount: "3" } });
    for (const m of [send, multi, mint, burn]) chainValidate(m);
    expect(messageToJson(send)).toEqual({
      type: "bank/Send",
      value: {
        to: bob,
        amount: [
          { denom: "ubtt", amount: "1500000" },
          { denom: "uusd", amount: "25" },
        ],
      },
    });
    expect(messageToJson(burn)).toEqual({
      type: "bank/Burn",
      value: { amount: { denom: "ubtt", amount: "3" } },
    });
  });

  test("reject bad addresses, naming the field", () => {
    const bad = [
      "",
      "btt1",
      bob.toUpperCase(),
      `${bob.slice(0, -1)}${bob.endsWith("q") ? "p" : "q"}`, // checksum
      bob.replace(/^btt/, "cosmos"),
      "0x1234",
    ];
    for (const to of bad) {
      let err: unknown;
      try {
        bank.send({ to, amount: { denom: "ubtt", amount: 1n } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BttError);
      expect((err as BttError).code).toBe("INVALID_ADDRESS");
      expect((err as BttError).message).toMatch(/^to /);
    }
    expect(codeOf(() => bank.mint({ to: "nope", amount: { denom: "ubtt", amount: 1n } }))).toBe(
      "INVALID_ADDRESS",
    );
    expect(
      codeOf(() => bank.multiSend({ outputs: [{ to: "x", amount: { denom: "ubtt", amount: 1n } }] })),
    ).toBe("INVALID_ADDRESS");
  });

  test("reject bad amounts: floats, negatives, zero, too many decimals, duplicates, bad denominations", () => {
    const send = (amount: unknown) => () => bank.send({ to: bob, amount: amount as never });
    expect(codeOf(send({ denom: "ubtt", amount: 1.5 }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: 1 }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: -1n }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: "-1" }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: "1.5" }))).toBe("INVALID_AMOUNT"); // base units: integers only
    expect(codeOf(send({ denom: "ubtt", amount: "1.0000001", decimals: 6 }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: "1e3" }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: 0n }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "ubtt", amount: MAX_AMOUNT + 1n }))).toBe("INVALID_AMOUNT");
    expect(codeOf(send([]))).toBe("INVALID_AMOUNT");
    expect(
      codeOf(
        send([
          { denom: "ubtt", amount: 1n },
          { denom: "ubtt", amount: 2n },
        ]),
      ),
    ).toBe("INVALID_AMOUNT");
    expect(codeOf(send({ denom: "BTT", amount: 1n }))).toBe("INVALID_MESSAGE");
    expect(codeOf(send(null))).toBe("INVALID_AMOUNT");
    expect(codeOf(() => bank.mint({ to: bob, amount: [{ denom: "ubtt", amount: 1n }] as never }))).toBe(
      "INVALID_AMOUNT",
    );
    expect(codeOf(() => bank.multiSend({ outputs: [] }))).toBe("INVALID_MESSAGE");
    const many = Array.from({ length: 257 }, () => ({ to: bob, amount: { denom: "ubtt", amount: 1n } }));
    expect(codeOf(() => bank.multiSend({ outputs: many }))).toBe("INVALID_MESSAGE");
  });
});
