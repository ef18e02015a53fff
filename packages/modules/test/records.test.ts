// The records module on an in-memory chain: registration with the compliance check, owner-only
// recipient changes, published keys, audit counters, genesis round trip, and refused bad input.

import { describe, expect, it } from "vitest";
import { BankKeeper } from "../src/bank/keeper.ts";
import { BranchStore } from "../src/framework/store.ts";
import { createRecordsModule } from "../src/records/index.ts";
import { address, privacyChain } from "./privacy-harness.ts";

const AUTHORITY = address(1);
const PATIENT = address(2);
const CLINIC = address(3);
const OTHER = address(4);
const LATER = 10n ** 13n;
const HASH = "ab".repeat(32);

const wrappedFor = (recipient: string, fill = 1) => ({
  recipient,
  ephemeralPublicKey: new Uint8Array(32).fill(fill),
  wrappedKey: new Uint8Array(48).fill(fill),
  nonce: new Uint8Array(24).fill(fill),
});

function setup() {
  const chain = privacyChain({
    params: {
      authorities: { patient: [AUTHORITY], clinic_licence: [AUTHORITY] },
      max_delegation_depth: 2,
      max_credentials_per_type: 4,
    },
  });
  const records = createRecordsModule(chain.identity.keeper, chain.compliance.keeper, new BankKeeper());
  records.genesis.initGenesis(chain.ctx(AUTHORITY), records.genesis.defaultGenesis());
  chain.run("identity/IssueCredential", AUTHORITY, {
    subject: PATIENT,
    type: "patient",
    jurisdiction: "CN",
    attributes: [],
    expiresAtMs: LATER,
  });
  const run = (type: string, sender: string, value: unknown) => {
    const handler = records.messages.find((m) => m.type === type)!;
    // biome-ignore lint/suspicious/noExplicitAny: plain message shapes
    handler.validate(value as any, sender);
    const branch = new BranchStore(chain.kv);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    handler.execute({ ...chain.ctx(sender), kv: branch }, value as any);
    branch.writeToParent();
  };
  const register = (over: Record<string, unknown> = {}) =>
    run("records/Register", PATIENT, {
      id: "r1",
      blobSha256: HASH,
      dataClass: "diagnosis",
      jurisdiction: "CN",
      wrappedKeys: [wrappedFor(PATIENT)],
      ...over,
    });
  return { chain, records, run, register };
}

describe("records module", () => {
  it("registers within the residency rules, and refuses what breaks them", () => {
    const { chain, records, register } = setup();
    // CN patient data stays in CN.
    expect(() => register({ jurisdiction: "DE" })).toThrow(/diagnosis data of CN may not be stored in DE/);
    register();
    expect(() => register()).toThrow(/CONFLICT|already exists/);
    const r = records.keeper.record(chain.kv, "r1")!;
    expect(r).toMatchObject({ owner: PATIENT, rule: "data_residency.CN.*", dataClass: "diagnosis" });
    expect(records.keeper.recordsOf(chain.kv, PATIENT).map((x) => x.id)).toEqual(["r1"]);
    expect(chain.events.at(-1)?.type).toBe("records/registered");
  });

  it("refuses malformed input with the field at fault", () => {
    const { register } = setup();
    expect(() => register({ blobSha256: "AB".repeat(32) })).toThrow(/blob_sha256/);
    expect(() => register({ id: "has space" })).toThrow(/id must match/);
    expect(() => register({ dataClass: "genome" })).toThrow(/data class/);
    expect(() => register({ jurisdiction: "ZZ" })).toThrow(/ISO 3166-1/);
    expect(() => register({ wrappedKeys: [{ ...wrappedFor(PATIENT), nonce: new Uint8Array(12) }] })).toThrow(
      /nonce must have 24 bytes/,
    );
    const unsorted = [wrappedFor(PATIENT), wrappedFor(CLINIC)].sort((a, b) =>
      a.recipient < b.recipient ? 1 : -1,
    );
    expect(() => register({ wrappedKeys: unsorted })).toThrow(/sorted by recipient/);
    const many = Array.from({ length: 33 }, (_, i) => wrappedFor(address(100 + i))).sort((a, b) =>
      a.recipient < b.recipient ? -1 : 1,
    );
    expect(() => register({ wrappedKeys: many })).toThrow(/at most 32 recipients/);
  });

  it("lets only the owner add and remove recipients; counts audited accesses", () => {
    const { chain, records, run, register } = setup();
    register();
    expect(() => run("records/AddRecipient", OTHER, { id: "r1", wrappedKey: wrappedFor(CLINIC) })).toThrow(
      /only the owner/,
    );
    run("records/AddRecipient", PATIENT, { id: "r1", wrappedKey: wrappedFor(CLINIC) });
    expect(() => run("records/AddRecipient", PATIENT, { id: "r1", wrappedKey: wrappedFor(CLINIC) })).toThrow(
      /already has a key/,
    );
    expect(records.keeper.record(chain.kv, "r1")!.wrappedKeys.map((w) => w.recipient)).toEqual(
      [PATIENT, CLINIC].sort(),
    );
    expect(() => run("records/RemoveRecipient", CLINIC, { id: "r1", recipient: CLINIC })).toThrow(
      /only the owner/,
    );
    run("records/RemoveRecipient", PATIENT, { id: "r1", recipient: CLINIC });
    expect(() => run("records/RemoveRecipient", PATIENT, { id: "r1", recipient: CLINIC })).toThrow(
      /has no key/,
    );
    expect(() => run("records/RemoveRecipient", PATIENT, { id: "nope", recipient: CLINIC })).toThrow(
      /no record/,
    );

    const access = (allowed: boolean) =>
      run("records/Access", OTHER, {
        id: "r1",
        accessor: CLINIC,
        allowed,
        purpose: "treatment",
        code: allowed ? "" : "NO_CONSENT",
        reason: "x",
      });
    access(true);
    access(false);
    access(false);
    expect(records.keeper.accessCounts(chain.kv, "r1")).toEqual({ allowed: 1n, refused: 2n });
    const last = chain.events.at(-1)!;
    expect(last.type).toBe("records/access_refused");
    expect(last.attributes).toContainEqual({ key: "owner", value: PATIENT });
    expect(last.attributes).toContainEqual({ key: "gateway", value: OTHER });
  });

  it("publishes encryption keys and round-trips its genesis", () => {
    const { chain, records, run, register } = setup();
    register();
    expect(() => run("records/SetEncryptionKey", CLINIC, { publicKey: new Uint8Array(32) })).toThrow(
      /must not be zero/,
    );
    expect(() => run("records/SetEncryptionKey", CLINIC, { publicKey: new Uint8Array(31).fill(1) })).toThrow(
      /32 bytes/,
    );
    run("records/SetEncryptionKey", CLINIC, { publicKey: new Uint8Array(32).fill(7) });
    expect(records.keeper.encryptionKey(chain.kv, CLINIC)).toEqual(new Uint8Array(32).fill(7));

    const exported = records.genesis.exportGenesis(chain.ctx(AUTHORITY));
    const again = privacyChain();
    const copy = createRecordsModule(again.identity.keeper, again.compliance.keeper, new BankKeeper());
    copy.genesis.initGenesis(
      again.ctx(AUTHORITY),
      copy.genesis.validateGenesis(JSON.parse(JSON.stringify(exported))),
    );
    expect(copy.genesis.exportGenesis(again.ctx(AUTHORITY))).toEqual(exported);
    expect(copy.keeper.record(again.kv, "r1")?.wrappedKeys).toEqual(
      records.keeper.record(chain.kv, "r1")?.wrappedKeys,
    );
    const bad = { ...exported, records: [{ ...exported.records[0], blob_sha256: "xyz" }] };
    expect(() => copy.genesis.validateGenesis(bad)).toThrow(/INVALID_GENESIS|blob_sha256/);
  });
});
