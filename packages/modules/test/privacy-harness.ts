// An in-memory chain of the identity, compliance and consent modules, for fast module tests.
import { encodeAddress } from "@btt/core";
import { createComplianceModule } from "../src/compliance/index.ts";
import { createConsentModule } from "../src/consent/index.ts";
import type { LedgerEvent } from "../src/framework/events.ts";
import { MemoryState } from "../src/framework/memory-store.ts";
import type { TxContext } from "../src/framework/module.ts";
import { BranchStore, CommittedStore } from "../src/framework/store.ts";
import { createIdentityModule } from "../src/identity/index.ts";

export const address = (i: number) => encodeAddress(new Uint8Array(20).fill(i));

export function privacyChain(identityGenesis: Record<string, unknown> = {}, complianceParams?: unknown) {
  const identity = createIdentityModule();
  const compliance = createComplianceModule();
  const consent = createConsentModule(identity.keeper, compliance.keeper);
  const kv = new BranchStore(new CommittedStore(new MemoryState()));
  const events: LedgerEvent[] = [];
  let timeMs = 1_000_000n;
  let height = 1n;
  const ctx = (sender: string): TxContext => ({
    block: { chainId: "t", height, timeMs, proposer: address(250) },
    kv,
    emit: (e) => events.push(e),
    sender,
    txHash: new Uint8Array(32),
  });
  const g = { params: identity.genesis.defaultGenesis().params, ...identityGenesis };
  identity.genesis.initGenesis(ctx(address(250)), identity.genesis.validateGenesis(g));
  const cg =
    complianceParams === undefined ? compliance.genesis.defaultGenesis() : { params: complianceParams };
  compliance.genesis.initGenesis(ctx(address(250)), compliance.genesis.validateGenesis(cg));
  consent.genesis.initGenesis(ctx(address(250)), consent.genesis.defaultGenesis());
  return {
    identity,
    compliance,
    consent,
    kv,
    events,
    ctx,
    get timeMs() {
      return timeMs;
    },
    setTime(ms: bigint) {
      timeMs = ms;
      height += 1n;
    },
    /** Runs a message through its module's validate and execute, as the router would. */
    run(type: string, sender: string, value: unknown) {
      const all = [...identity.messages, ...consent.messages];
      const handler = all.find((m) => m.type === type);
      if (!handler) throw new Error(`no handler ${type}`);
      // biome-ignore lint/suspicious/noExplicitAny: test harness feeds plain message shapes
      handler.validate(value as any, sender);
      // A failing message leaves no writes, like a tx branch.
      const branch = new BranchStore(kv);
      // biome-ignore lint/suspicious/noExplicitAny: as above
      handler.execute({ ...ctx(sender), kv: branch }, value as any);
      branch.writeToParent();
    },
  };
}
