// The records module's disclosure root (owner-only, 32 bytes, kept through genesis) and the
// compliance `view_keys` rules private payments are checked against (lookup, union, validation).
import { describe, expect, it } from "vitest";
import { BankKeeper } from "../src/bank/keeper.ts";
import { compileRules, DEFAULT_COMPLIANCE_PARAMS } from "../src/compliance/rules.ts";
import { requiredViewers } from "../src/compliance/view-keys.ts";
import { BranchStore } from "../src/framework/store.ts";
import { createRecordsModule } from "../src/records/index.ts";
import { address, privacyChain } from "./privacy-harness.ts";

const OWNER = address(2);
const OTHER = address(4);
const ROOT = new Uint8Array(32).fill(7);
const wrapped = (recipient: string) => ({
  recipient,
  ephemeralPublicKey: new Uint8Array(32).fill(1),
  wrappedKey: new Uint8Array(48).fill(1),
  nonce: new Uint8Array(24).fill(1),
});

/** The stored root as plain bytes (the node platform's hex decoder returns a Buffer). */
const rootOf = (
  records: ReturnType<typeof createRecordsModule>,
  kv: Parameters<typeof records.keeper.record>[0],
) => {
  const root = records.keeper.record(kv, "r1")!.disclosureRoot;
  return root && new Uint8Array(root);
};

function setup() {
  const chain = privacyChain();
  const records = createRecordsModule(chain.identity.keeper, chain.compliance.keeper, new BankKeeper());
  records.genesis.initGenesis(chain.ctx(OWNER), records.genesis.defaultGenesis());
  const run = (type: string, sender: string, value: Record<string, unknown>) => {
    const handler = records.messages.find((m) => m.type === type)!;
    // biome-ignore lint/suspicious/noExplicitAny: plain message shapes
    handler.validate(value as any, sender);
    const branch = new BranchStore(chain.kv);
    // biome-ignore lint/suspicious/noExplicitAny: as above
    handler.execute({ ...chain.ctx(sender), kv: branch }, value as any);
    branch.writeToParent();
  };
  const register = (extra: Record<string, unknown> = {}) =>
    run("records/Register", OWNER, {
      id: "r1",
      blobSha256: "ab".repeat(32),
      dataClass: "diagnosis",
      jurisdiction: "US",
      wrappedKeys: [wrapped(OWNER)],
      disclosureRoot: new Uint8Array(),
      ...extra,
    });
  return { chain, records, run, register };
}

describe("records disclosure root", () => {
  it("is absent unless set, set by the owner only, and kept through a genesis round trip", () => {
    const { chain, records, run, register } = setup();
    register();
    expect(records.keeper.record(chain.kv, "r1")!.disclosureRoot).toBeUndefined();
    expect(() => run("records/SetDisclosureRoot", OTHER, { id: "r1", root: ROOT })).toThrow(/only the owner/);
    expect(() => run("records/SetDisclosureRoot", OWNER, { id: "r1", root: new Uint8Array(31) })).toThrow(
      /32 bytes/,
    );
    run("records/SetDisclosureRoot", OWNER, { id: "r1", root: ROOT });
    expect(rootOf(records, chain.kv)).toEqual(ROOT);
    const q = records.queries
      .find((x) => x.name === "record")!
      .handle({ kv: chain.kv, height: 1n }, { id: "r1" });
    expect((q as { record: { disclosure_root: string } }).record.disclosure_root).toBe("07".repeat(32));
    expect(chain.events.at(-1)).toMatchObject({ type: "records/disclosure_root_set" });

    const exported = records.genesis.exportGenesis(chain.ctx(OWNER));
    const again = setup();
    again.records.genesis.initGenesis(
      again.chain.ctx(OWNER),
      again.records.genesis.validateGenesis(exported),
    );
    expect(rootOf(again.records, again.chain.kv)).toEqual(ROOT);
  });

  it("can be committed at registration", () => {
    const { chain, records, register } = setup();
    register({ disclosureRoot: ROOT });
    expect(rootOf(records, chain.kv)).toEqual(ROOT);
    expect(() => setup().register({ disclosureRoot: new Uint8Array(5) })).toThrow(/disclosure_root/);
  });
});

describe("compliance view_keys", () => {
  const REG_DE = address(10);
  const REG_EU = address(11);
  const REG_ANY = address(12);
  const rules = compileRules({
    ...DEFAULT_COMPLIANCE_PARAMS,
    view_keys: {
      DE: { payment: [REG_DE, REG_EU] },
      "@EEA": { "*": [REG_EU] },
      "*": { payment: [REG_ANY] },
    },
  });

  it("takes a jurisdiction's own rule, else its group's, else *; unions over the parties", () => {
    expect(requiredViewers(rules, "payment", ["DE"])).toEqual({
      accounts: [REG_DE, REG_EU].sort(),
      rules: ["view_keys.DE.payment"],
    });
    expect(requiredViewers(rules, "payment", ["FR"])).toEqual({
      accounts: [REG_EU],
      rules: ["view_keys.@EEA.*"],
    });
    expect(requiredViewers(rules, "payment", ["JP", "FR"])).toEqual({
      accounts: [REG_EU, REG_ANY].sort(),
      rules: ["view_keys.*.payment", "view_keys.@EEA.*"].sort(),
    });
    // DE has its own rule set, with nothing for research: no fallback to the group's.
    expect(requiredViewers(rules, "research", ["DE"])).toEqual({ accounts: [], rules: [] });
    expect(requiredViewers(compileRules(DEFAULT_COMPLIANCE_PARAMS), "payment", ["DE"]).accounts).toEqual([]);
  });

  it("refuses malformed rules, naming the field", () => {
    const bad = (view_keys: unknown) => () => compileRules({ ...DEFAULT_COMPLIANCE_PARAMS, view_keys });
    expect(bad({ DE: { payment: ["nope"] } })).toThrow(/view_keys\.DE\.payment\[0\] must be a btt1… address/);
    expect(bad({ XX: { payment: [] } })).toThrow(/view_keys/);
    expect(bad({ DE: { gossip: [] } })).toThrow(/not a data class/);
  });
});
