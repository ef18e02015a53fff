// A private payment from a patient to a clinic, built by the SDK and executed by the real identity,
// compliance, bank and records modules on an in-memory state: the amount moves in the open; the
// patient, the clinic and the regulator the compliance rules name decrypt the details; a third
// account cannot; a payment without the regulator's key is refused with a machine-readable
// reason; a tampered ciphertext fails the AEAD; the commitment opens.
import { BttError, type Msg } from "@btt/core";
import {
  type BankKeeper,
  BranchStore,
  CommittedStore,
  createBankModule,
  createComplianceModule,
  createIdentityModule,
  createRecordsModule,
  DEFAULT_COMPLIANCE_PARAMS,
  type LedgerEvent,
  MemoryState,
  type TxContext,
} from "@btt/modules";
import { fromBinary } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { MESSAGE_SCHEMAS, signerFromSeedHex } from "../src/index.ts";
import { paymentCommitment, privatePayment } from "../src/private-payment.ts";
import { encryptionKeyFromSeed } from "../src/records.ts";

const account = (fill: string) => {
  const signer = signerFromSeedHex(fill.repeat(32));
  return { address: signer.address, keys: encryptionKeyFromSeed(signer.seed) };
};
const AUTHORITY = account("01");
const PATIENT = account("02");
const CLINIC = account("03");
const REGULATOR = account("04");
const OUTSIDER = account("05");
const LATER = 10n ** 13n;
const DETAILS = {
  invoice: "INV-2026-0042",
  lines: [{ code: "D2391", description: "resin composite, one surface", amount: "120.00" }],
  diagnosis: ["K02.1"],
};

function chain({ regulatorCredential = true } = {}) {
  const identity = createIdentityModule();
  const compliance = createComplianceModule();
  const bank = createBankModule();
  const records = createRecordsModule(identity.keeper, compliance.keeper, bank.keeper);
  const kv = new BranchStore(new CommittedStore(new MemoryState()));
  const events: LedgerEvent[] = [];
  let tx = 0;
  const ctx = (sender: string): TxContext => ({
    block: { chainId: "t", height: 2n, timeMs: 1_000_000n, proposer: AUTHORITY.address },
    kv,
    emit: (e) => events.push(e),
    sender,
    txHash: new Uint8Array(32).fill(++tx),
  });
  identity.genesis.initGenesis(
    ctx(AUTHORITY.address),
    identity.genesis.validateGenesis({
      ...identity.genesis.defaultGenesis(),
      params: {
        ...(identity.genesis.defaultGenesis() as { params: Record<string, unknown> }).params,
        authorities: {
          patient: [AUTHORITY.address],
          clinic_licence: [AUTHORITY.address],
          regulator: [AUTHORITY.address],
        },
      },
    }),
  );
  // The regulator of Germany must see every payment touching a DE party.
  const params = { ...DEFAULT_COMPLIANCE_PARAMS, view_keys: { DE: { payment: [REGULATOR.address] } } };
  compliance.genesis.initGenesis(ctx(AUTHORITY.address), compliance.genesis.validateGenesis({ params }));
  bank.genesis.initGenesis(
    ctx(AUTHORITY.address),
    bank.genesis.validateGenesis({
      ...bank.genesis.defaultGenesis(),
      balances: [
        { address: PATIENT.address, coins: [{ denom: "ubtt", amount: "1000000" }] },
        { address: OUTSIDER.address, coins: [{ denom: "ubtt", amount: "1000" }] },
      ],
    }),
  );
  records.genesis.initGenesis(ctx(AUTHORITY.address), records.genesis.defaultGenesis());
  /** Decodes a built message as the router would, then validates and executes it in a branch. */
  const run = (sender: string, m: Msg) => {
    const handler = [...identity.messages, ...records.messages].find((h) => h.type === m.type)!;
    const value = fromBinary(MESSAGE_SCHEMAS.get(m.type) ?? handler.schema, m.value);
    handler.validate(value, sender);
    const branch = new BranchStore(kv);
    const c = { ...ctx(sender), kv: branch };
    handler.execute(c, value);
    branch.writeToParent();
    return c.txHash;
  };
  const issue = (subject: string, type: string, jurisdiction: string) =>
    identity.messages
      .find((h) => h.type === "identity/IssueCredential")!
      .execute(ctx(AUTHORITY.address), {
        subject,
        type,
        jurisdiction,
        attributes: [],
        expiresAtMs: LATER,
      } as never);
  issue(PATIENT.address, "patient", "DE");
  issue(CLINIC.address, "clinic_licence", "DE");
  if (regulatorCredential) issue(REGULATOR.address, "regulator", "DE");
  return { kv, bank: bank.keeper as BankKeeper, records, run, events };
}

const reader = (a: ReturnType<typeof account>) => ({ address: a.address, publicKey: a.keys.publicKey });

function build(readers: ReturnType<typeof account>[]) {
  return privatePayment.build({
    from: PATIENT.address,
    to: CLINIC.address,
    amount: { denom: "ubtt", amount: 120_000n },
    details: DETAILS,
    readers: readers.map(reader),
  });
}

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof BttError) return { code: e.code, details: e.details };
    throw e;
  }
  return undefined;
};

describe("private payment between a patient and a clinic", () => {
  test("moves the amount; patient, clinic and regulator decrypt the details; an outsider cannot", () => {
    const c = chain();
    const { msg } = build([PATIENT, CLINIC, REGULATOR]);
    const txHash = c.run(PATIENT.address, msg);
    expect(c.bank.balance(c.kv, PATIENT.address, "ubtt")).toBe(880_000n);
    expect(c.bank.balance(c.kv, CLINIC.address, "ubtt")).toBe(120_000n);

    const stored = c.records.privatePayments.get(c.kv, txHash)!;
    expect(stored.viewRules).toEqual(["view_keys.DE.payment"]);
    const json = (
      c.records.queries
        .find((q) => q.name === "private_payment")!
        .handle({ kv: c.kv, height: 2n }, { tx_hash: Buffer.from(txHash).toString("hex") }) as {
        private_payment: never;
      }
    ).private_payment;
    for (const who of [PATIENT, CLINIC, REGULATOR]) {
      const opened = privatePayment.open(json, who.address, who.keys);
      expect(opened.json).toEqual(DETAILS);
      // The commitment opens with the revealed details and salt.
      expect(Buffer.from(paymentCommitment(opened.details, opened.salt)).toString("hex")).toBe(
        (json as { commitment: string }).commitment,
      );
    }
    // Nothing is wrapped for the outsider; and the regulator's wrapped key, relabelled, does not open.
    expect(() => privatePayment.open(json, OUTSIDER.address, OUTSIDER.keys)).toThrow(/no key wrapped/);
    const view = privatePayment.fromJson(json);
    const stolen = {
      ...view,
      wrappedKeys: view.wrappedKeys.map((w) => ({ ...w, recipient: OUTSIDER.address })),
    };
    expect(() => privatePayment.open(stolen, OUTSIDER.address, OUTSIDER.keys)).toThrow(/does not open/);
    // The ciphertext holds no plaintext.
    expect(Buffer.from(view.ciphertext).toString("latin1")).not.toContain("K02.1");
    const event = c.events.find((e) => e.type === "records/private_payment")!;
    expect(Object.fromEntries(event.attributes.map((a) => [a.key, a.value]))).toMatchObject({
      sender: PATIENT.address,
      recipient: CLINIC.address,
      amount: "120000ubtt",
      viewers: REGULATOR.address,
    });
  });

  test("opens from the tx's own message as well as from the stored record", () => {
    const { msg } = build([PATIENT, CLINIC, REGULATOR]);
    const opened = privatePayment.open(
      privatePayment.fromMsg(PATIENT.address, msg),
      CLINIC.address,
      CLINIC.keys,
    );
    expect(opened.json).toEqual(DETAILS);
  });

  test("a payment without the regulator's key is refused, naming the missing viewer and the rule", () => {
    const c = chain();
    const r = refusal(() => c.run(PATIENT.address, build([PATIENT, CLINIC]).msg));
    expect(r).toMatchObject({
      code: "UNAUTHORIZED",
      details: {
        code: "MISSING_VIEW_KEY",
        missing: [REGULATOR.address],
        rules: ["view_keys.DE.payment"],
        jurisdictions: ["DE"],
      },
    });
    // Refused: no coin moved, nothing stored.
    expect(c.bank.balance(c.kv, PATIENT.address, "ubtt")).toBe(1_000_000n);
    expect([...c.records.privatePayments.all(c.kv)]).toEqual([]);
    // A party's key is required too.
    expect(refusal(() => c.run(PATIENT.address, build([PATIENT, REGULATOR]).msg))).toMatchObject({
      details: { code: "MISSING_PARTY_KEY", missing: [CLINIC.address] },
    });
  });

  test("a view_keys account without a valid regulator credential is not required, and is reported", () => {
    const c = chain({ regulatorCredential: false });
    c.run(PATIENT.address, build([PATIENT, CLINIC]).msg);
    expect(c.bank.balance(c.kv, CLINIC.address, "ubtt")).toBe(120_000n);
    const viewers = c.records.queries
      .find((q) => q.name === "private_payment_viewers")!
      .handle({ kv: c.kv, timeMs: 1_000_000n } as never, { from: PATIENT.address, to: CLINIC.address });
    expect(viewers).toMatchObject({ regulators: [], uncredentialed: [REGULATOR.address] });
    // With the credential, the same rule requires it.
    const credentialed = chain();
    expect(
      credentialed.records.queries
        .find((q) => q.name === "private_payment_viewers")!
        .handle({ kv: credentialed.kv, timeMs: 1_000_000n } as never, {
          from: PATIENT.address,
          to: CLINIC.address,
        }),
    ).toMatchObject({ regulators: [REGULATOR.address], uncredentialed: [] });
  });

  test("the regulators follow the parties' jurisdictions: none is required between uncredentialed accounts", () => {
    const c = chain();
    const other = account("06");
    const toOther = (from: ReturnType<typeof account>) =>
      privatePayment.build({
        from: from.address,
        to: other.address,
        amount: { denom: "ubtt", amount: 5n },
        details: DETAILS,
        readers: [reader(from), reader(other)],
      }).msg;
    // The patient is in DE, so the DE regulator is required even when the payee has no credential.
    expect(refusal(() => c.run(PATIENT.address, toOther(PATIENT)))).toMatchObject({
      details: { code: "MISSING_VIEW_KEY" },
    });
    // Neither party holds a credential: the `*` rule applies, and the defaults name nobody.
    c.run(OUTSIDER.address, toOther(OUTSIDER));
    expect(c.bank.balance(c.kv, other.address, "ubtt")).toBe(5n);
  });

  test("a tampered ciphertext, nonce, or a payment copied onto other public fields fails the AEAD", () => {
    const { view } = build([PATIENT, CLINIC, REGULATOR]);
    const flipped = view.ciphertext.slice();
    flipped[40]! ^= 1;
    expect(() => privatePayment.open({ ...view, ciphertext: flipped }, CLINIC.address, CLINIC.keys)).toThrow(
      /tampered/,
    );
    const nonce = view.nonce.slice();
    nonce[0]! ^= 1;
    expect(() => privatePayment.open({ ...view, nonce }, CLINIC.address, CLINIC.keys)).toThrow(/tampered/);
    expect(() => privatePayment.open({ ...view, amount: "1ubtt" }, CLINIC.address, CLINIC.keys)).toThrow(
      /tampered/,
    );
    const commitment = view.commitment.slice();
    commitment[0]! ^= 1;
    expect(() => privatePayment.open({ ...view, commitment }, CLINIC.address, CLINIC.keys)).toThrow(
      /commitment/,
    );
  });

  test("malformed payloads are refused before execution", () => {
    const c = chain();
    const { view } = build([PATIENT, CLINIC, REGULATOR]);
    const handler = c.records.messages.find((h) => h.type === "records/PrivatePayment")!;
    const base = {
      to: CLINIC.address,
      amount: [{ denom: "ubtt", amount: "5" }],
      ciphertext: view.ciphertext,
      nonce: view.nonce,
      wrappedKeys: view.wrappedKeys,
      commitment: view.commitment,
    };
    expect(
      refusal(() => handler.validate({ ...base, commitment: new Uint8Array(31) } as never, PATIENT.address)),
    ).toMatchObject({
      code: "INVALID_MESSAGE",
    });
    expect(
      refusal(() => handler.validate({ ...base, ciphertext: new Uint8Array(40) } as never, PATIENT.address)),
    ).toMatchObject({
      code: "INVALID_MESSAGE",
    });
    expect(
      refusal(() =>
        handler.validate({ ...base, wrappedKeys: [...view.wrappedKeys].reverse() } as never, PATIENT.address),
      ),
    ).toMatchObject({ code: "INVALID_MESSAGE" });
  });
});
