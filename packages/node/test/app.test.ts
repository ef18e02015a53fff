import { errorName, type Msg, MsgSendSchema, msg } from "@btt/core";
import { type BlockInfo, bankMsg, CommittedStore, MemoryState } from "@btt/modules";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Application } from "../src/app.ts";
import { blockTx, signedTx, signer, TEST_CHAIN_ID, TEST_FEE, testChain } from "./helpers.ts";

const ubtt = (amount: bigint) => ({ denom: "ubtt", amount });

function startChain(accounts = 4) {
  const chain = testChain(accounts);
  const app = new Application(TEST_CHAIN_ID);
  const memory = new MemoryState();
  const kv = new CommittedStore(memory);
  let height = 0n;
  const run = (txs: Uint8Array[]) => {
    height++;
    const info: BlockInfo = {
      chainId: TEST_CHAIN_ID,
      height,
      timeMs: 1000n * height,
      proposer: chain.validator.address,
    };
    const genesis = height === 1n ? app.validateAppState(chain.genesis.app_state) : undefined;
    const exec = app.executeBlock(kv, info, txs.map(blockTx), genesis);
    memory.apply(exec.changes);
    kv.invalidate();
    return exec.txs;
  };
  run([]);
  const balance = (address: string) => app.bank.keeper.balance(kv, address, "ubtt");
  const nonce = (address: string) => app.auth.keeper.nextNonce(kv, address);
  return { chain, app, kv, run, balance, nonce };
}

describe("ledger rules, from real signed transactions", () => {
  it("a transfer moves coins, charges the fee, advances the nonce and stores the key", () => {
    const { chain, run, balance, nonce, app, kv } = startChain();
    const [alice, bob] = chain.accounts as [ReturnType<typeof signer>, ReturnType<typeof signer>];
    const [result] = run([
      signedTx(alice, 0n, [bankMsg.send(bob.address, [ubtt(500n)])], { includeKey: true }),
    ]);
    expect(result!.code).toBe(0);
    expect(balance(alice.address)).toBe(1_000_000_000n - 500n - TEST_FEE);
    expect(balance(bob.address)).toBe(1_000_000_000n + 500n);
    expect(nonce(alice.address)).toBe(1n);
    expect(result!.events.map((e) => e.type)).toEqual(["auth/fee", "bank/transfer"]);
    expect(result!.accounts).toEqual([alice.address, bob.address]);
    expect(app.bank.invariants![0]!.check(kv)).toBeUndefined();
  });

  const rejections: Array<[string, (c: ReturnType<typeof startChain>) => Uint8Array]> = [
    [
      "WRONG_CHAIN_ID",
      ({ chain }) =>
        signedTx(chain.accounts[0]!, 0n, [bankMsg.send(chain.accounts[1]!.address, [ubtt(1n)])], {
          chainId: "btt-other-1",
        }),
    ],
    [
      "BAD_SIGNATURE",
      ({ chain }) => {
        const bytes = signedTx(chain.accounts[0]!, 0n, [
          bankMsg.send(chain.accounts[1]!.address, [ubtt(1n)]),
        ]);
        bytes[bytes.length - 1]! ^= 0x01;
        return bytes;
      },
    ],
    ["MISSING_PUBLIC_KEY", () => signedTx(signer(99), 0n, [bankMsg.send(signer(98).address, [ubtt(1n)])])],
    [
      "PUBLIC_KEY_MISMATCH",
      ({ chain }) => {
        // Signed by the key of another account but claiming alice as the sender.
        const mallory = signer(97);
        return signedTx(
          { ...mallory, address: chain.accounts[0]!.address },
          0n,
          [bankMsg.send(mallory.address, [ubtt(1n)])],
          { includeKey: true },
        );
      },
    ],
    [
      "NONCE_TOO_LOW",
      ({ chain, run }) => {
        run([signedTx(chain.accounts[0]!, 0n, [bankMsg.send(chain.accounts[1]!.address, [ubtt(1n)])])]);
        return signedTx(chain.accounts[0]!, 0n, [bankMsg.send(chain.accounts[1]!.address, [ubtt(2n)])]);
      },
    ],
    [
      "NONCE_TOO_HIGH",
      ({ chain }) => signedTx(chain.accounts[0]!, 5n, [bankMsg.send(chain.accounts[1]!.address, [ubtt(1n)])]),
    ],
    [
      "INSUFFICIENT_FEE",
      ({ chain }) =>
        signedTx(chain.accounts[0]!, 0n, [bankMsg.send(chain.accounts[1]!.address, [ubtt(1n)])], {
          fee: 10n,
        }),
    ],
    [
      "INSUFFICIENT_FUNDS",
      ({ chain }) =>
        signedTx(chain.accounts[1]!, 0n, [bankMsg.send(chain.accounts[0]!.address, [ubtt(1n)])], {
          fee: 2_000_000_000n,
        }),
    ],
    [
      "UNKNOWN_MESSAGE",
      ({ chain }) => signedTx(chain.accounts[0]!, 0n, [{ ...bankMsg.burn(ubtt(1n)), type: "bank/Steal" }]),
    ],
    [
      "INVALID_AMOUNT",
      ({ chain }) => signedTx(chain.accounts[0]!, 0n, [sendWithRawAmount(chain.accounts[1]!.address, "-5")]),
    ],
    [
      "INVALID_AMOUNT",
      ({ chain }) =>
        signedTx(chain.accounts[0]!, 0n, [
          sendWithRawAmount(chain.accounts[1]!.address, (1n << 256n).toString()),
        ]),
    ],
    [
      "INVALID_ADDRESS",
      ({ chain }) => signedTx(chain.accounts[0]!, 0n, [bankMsg.send("btt1notanaddress", [ubtt(1n)])]),
    ],
  ];

  for (const [code, build] of rejections) {
    it(`rejects with ${code} and changes nothing`, () => {
      const c = startChain();
      const bytes = build(c);
      const before = c.chain.accounts.map((a) => [c.balance(a.address), c.nonce(a.address)]);
      const [result] = c.run([bytes]);
      expect(errorName(result!.code)).toBe(code);
      expect(result!.fee).toBe(0n);
      expect(c.chain.accounts.map((a) => [c.balance(a.address), c.nonce(a.address)])).toEqual(before);
    });
  }

  const executionFailures: Array<[string, (c: ReturnType<typeof startChain>) => Uint8Array]> = [
    [
      "INSUFFICIENT_FUNDS",
      ({ chain }) =>
        signedTx(chain.accounts[1]!, 0n, [bankMsg.send(chain.accounts[0]!.address, [ubtt(999_999_999n)])]),
    ],
    [
      "UNAUTHORIZED",
      ({ chain }) => signedTx(chain.accounts[1]!, 0n, [bankMsg.mint(chain.accounts[1]!.address, ubtt(1n))]),
    ],
    [
      "INVALID_AMOUNT",
      ({ chain }) =>
        signedTx(chain.accounts[0]!, 0n, [bankMsg.mint(chain.accounts[0]!.address, ubtt((1n << 256n) - 1n))]),
    ],
    [
      "UNKNOWN_DENOM",
      ({ chain }) =>
        signedTx(chain.accounts[1]!, 0n, [
          bankMsg.send(chain.accounts[0]!.address, [{ denom: "uother", amount: 1n }]),
        ]),
    ],
  ];

  for (const [code, build] of executionFailures) {
    it(`a tx failing in execution with ${code} changes only the fee and the nonce`, () => {
      const c = startChain();
      const bytes = build(c);
      const sender = blockTx(bytes).decoded.body.sender;
      const before = c.chain.accounts.map((a) => c.balance(a.address));
      const [result] = c.run([bytes]);
      expect(errorName(result!.code)).toBe(code);
      expect(result!.fee).toBe(TEST_FEE);
      expect(c.nonce(sender)).toBe(1n);
      const expected = c.chain.accounts.map((a, i) =>
        a.address === sender ? before[i]! - TEST_FEE : before[i]!,
      );
      expect(c.chain.accounts.map((a) => c.balance(a.address))).toEqual(expected);
      expect(result!.events.map((e) => e.type)).toEqual(["auth/fee"]);
    });
  }

  it("minting by an authorised account raises the supply; burning lowers it", () => {
    const c = startChain();
    const [minter, other] = c.chain.accounts as [ReturnType<typeof signer>, ReturnType<typeof signer>];
    const supply = () => c.app.bank.keeper.supply(c.kv, "ubtt");
    const start = supply();
    const results = c.run([
      signedTx(minter, 0n, [bankMsg.mint(other.address, ubtt(1000n))]),
      signedTx(minter, 1n, [bankMsg.burn(ubtt(300n))]),
    ]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(supply()).toBe(start + 700n);
  });
});

describe("supply conservation (property)", () => {
  it("for every denomination, balances add up to supply after any sequence of transfers, mints and burns", () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant("send" as const),
        from: fc.nat(5),
        to: fc.nat(5),
        amount: fc.bigInt(1n, 2_000_000_000n),
      }),
      fc.record({
        kind: fc.constant("multi" as const),
        from: fc.nat(5),
        to: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
        amount: fc.bigInt(1n, 500_000_000n),
      }),
      fc.record({
        kind: fc.constant("mint" as const),
        from: fc.nat(5),
        to: fc.nat(5),
        amount: fc.bigInt(1n, 1n << 70n),
      }),
      fc.record({
        kind: fc.constant("burn" as const),
        from: fc.nat(5),
        to: fc.nat(5),
        amount: fc.bigInt(1n, 2_000_000_000n),
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 8 }), { minLength: 1, maxLength: 5 }), (blocks) => {
        const c = startChain(6);
        const nonces = new Map<string, bigint>();
        for (const ops of blocks) {
          const txs = ops.map((o) => {
            const from = c.chain.accounts[o.from]!;
            const n = nonces.get(from.address) ?? 0n;
            nonces.set(from.address, n + 1n);
            const to = (i: number) => c.chain.accounts[i]!.address;
            const m =
              o.kind === "send"
                ? bankMsg.send(to(o.to as number), [ubtt(o.amount)])
                : o.kind === "multi"
                  ? bankMsg.multiSend(
                      (o.to as number[]).map((t) => ({ to: to(t), amounts: [ubtt(o.amount)] })),
                    )
                  : o.kind === "mint"
                    ? bankMsg.mint(to(o.to as number), ubtt(o.amount))
                    : bankMsg.burn(ubtt(o.amount));
            return signedTx(from, n, [m]);
          });
          const results = c.run(txs);
          // A tx rejected before its fee leaves its nonce unused: later ones from that sender then fail too.
          results.forEach((r, i) => {
            if (r.fee === 0n)
              nonces.set(blockTx(txs[i]!).decoded.body.sender, c.nonce(blockTx(txs[i]!).decoded.body.sender));
          });
          expect(c.app.bank.invariants![0]!.check(c.kv)).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** The builders refuse bad amounts, so craft the message by hand, as an attacker would. */
function sendWithRawAmount(to: string, amount: string): Msg {
  const send = create(MsgSendSchema, { to, amount: [{ denom: "ubtt", amount }] });
  return msg("bank/Send", toBinary(MsgSendSchema, send));
}
