// A chain with the compute module set up for tests: identity authorities, credentials for a patient
// and four node operators (three in CN, one in DE), a test model, four CN imaging records owned by
// the patient, a funded reward pool, and helpers to run blocks of signed txs and read the results.
import { join } from "node:path";
import { ErrorCode, type Msg, type Signer, sha256 } from "@btt/core";
import {
  aiMsg,
  computeMsg,
  DEFAULT_COMPUTE_PARAMS,
  type Hardware,
  identityMsg,
  type LedgerEvent,
  REWARD_POOL,
  recordsMsg,
} from "@btt/modules";
import { expect } from "vitest";
import { Application } from "../src/app.ts";
import { validateGenesis } from "../src/genesis.ts";
import { BttNode } from "../src/node.ts";
import { blockTx, signedTx, testChain } from "./helpers.ts";

const DAY = 86_400_000n;
const T = 1_800_000_000_000n;
export const hash = (text: string) => sha256(Buffer.from(text));
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const SUITE = [1, 2, 3].map((seed) => ({ seed, result_sha256: hex(hash(`bench-${seed}`)) }));
// TFLOPS as the brief's tier table counts them (low-precision tensor throughput): 3 TFLOPS/W, Tier 2.
export const GPU: Hardware = {
  accelerator: "NVIDIA L4",
  gpuCount: 1,
  memoryGb: 24,
  tflopsMilli: 220_000n,
  powerW: 72,
  cpuCores: 16,
};

/** The benchmark answers the test suite expects for `seeds`. */
export const benchmarkAnswers = (seeds: number[]) => seeds.map((s) => hash(`bench-${s}`));

export function computeChain(dir: string) {
  const chain = testChain(12);
  const [authority, patient, auditor, opA, opB, opC, opD, wA, wB, wC, wD, poor] =
    chain.accounts as Signer[] & { length: 12 };
  chain.genesis.app_state.identity = {
    params: {
      authorities: { patient: [authority!.address], node_operator: [authority!.address] },
      max_delegation_depth: 2,
      max_credentials_per_type: 4,
    },
  };
  chain.genesis.app_state.compute = {
    params: {
      ...DEFAULT_COMPUTE_PARAMS,
      min_bond: "100000",
      heartbeat_interval_blocks: "5",
      heartbeat_timeout_blocks: "20",
      reveal_blocks: "5",
      epoch_blocks: "40",
      epoch_reward: "500000",
      auditors: [auditor!.address],
      benchmark: {
        model_id: "btt.test.caries",
        model_version: "1.0.0",
        mgflop_per_item: "1000",
        target_ms: "10000",
        min_items: 2,
        items: SUITE,
      },
    },
  };
  // The reward pool starts funded: rewards come from it, slashes go into it.
  const bank = chain.genesis.app_state.bank as { balances: Array<{ address: string; coins: unknown[] }> };
  bank.balances.push({ address: REWARD_POOL, coins: [{ denom: "ubtt", amount: "10000000" }] });
  const genesis = validateGenesis(chain.genesis, (id) => new Application(id));
  const node = new BttNode({
    dataDir: join(dir, `n${Math.random().toString(36).slice(2)}`),
    genesis,
    keepRecent: 4,
    mempool: { maxTxs: 1000, maxBytes: 1 << 22, maxTxBytes: 1 << 16 },
    verifyThreads: 0,
  });
  const nonces = new Map<string, bigint>();
  let time = T;
  const allEvents: LedgerEvent[] = [];
  const feesPaid = new Map<string, bigint>();
  const feesOf = (address: string) => feesPaid.get(address) ?? 0n;
  const block = (...txs: Array<[Signer, Msg[]]>) => {
    time += 1000n;
    const built = txs.map(([s, msgs]) => {
      const n = nonces.get(s.address) ?? 0n;
      nonces.set(s.address, n + 1n);
      return blockTx(signedTx(s, n, msgs, { includeKey: n === 0n, fee: 200_000n }));
    });
    const { execution } = node.ledger.commitBlock(built, time, chain.validator.address);
    execution.txs.forEach((r, i) => {
      if (r.code !== ErrorCode.OK && r.fee === 0n)
        nonces.set(txs[i]![0].address, nonces.get(txs[i]![0].address)! - 1n);
    });
    execution.txs.forEach((r, i) => {
      const sender = txs[i]![0].address;
      feesPaid.set(sender, (feesPaid.get(sender) ?? 0n) + r.fee);
    });
    for (const tx of execution.txs) allEvents.push(...tx.events);
    allEvents.push(...execution.endBlockEvents);
    return execution;
  };
  const ok = (...txs: Array<[Signer, Msg[]]>) => {
    const ex = block(...txs);
    for (const r of ex.txs) expect(r.code, r.log).toBe(ErrorCode.OK);
    return ex;
  };
  const query = (name: string, params: Record<string, string> = {}) =>
    node.query("compute", name, params) as Record<string, unknown>;
  const balance = (address: string) =>
    node.ledger.app.bank.keeper.balance(node.ledger.committed, address, "ubtt");
  const eventsOf = (type: string) =>
    allEvents
      .filter((e) => e.type === type)
      .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));

  block(); // genesis
  const credential = (subject: Signer, type: string, jurisdiction: string) =>
    identityMsg.issueCredential({
      subject: subject.address,
      type,
      jurisdiction,
      expiresAtMs: T + 365n * DAY,
    });
  ok([
    authority!,
    [
      credential(patient!, "patient", "CN"),
      credential(opA!, "node_operator", "CN"),
      credential(opB!, "node_operator", "CN"),
      credential(opC!, "node_operator", "CN"),
      credential(opD!, "node_operator", "DE"),
    ],
  ]);
  ok([
    patient!,
    [
      aiMsg.registerModel({ modelId: "btt.test.caries", task: "caries-detection", modalities: ["IO"] }),
      aiMsg.publishVersion({
        modelId: "btt.test.caries",
        version: "1.0.0",
        sha256: "ab".repeat(32),
        cardSha256: "cd".repeat(32),
        sizeBytes: 1000n,
      }),
    ],
  ]);
  const record = (id: string) =>
    recordsMsg.register({
      id,
      blobSha256: hex(hash(id)),
      dataClass: "imaging",
      jurisdiction: "CN",
      wrappedKeys: [
        {
          recipient: patient!.address,
          ephemeralPublicKey: new Uint8Array(32).fill(1),
          wrappedKey: new Uint8Array(48).fill(1),
          nonce: new Uint8Array(24).fill(1),
        },
      ],
    });
  ok([patient!, [record("xray-1"), record("xray-2"), record("xray-3"), record("xray-4")]]);

  const register = (worker: Signer, jurisdiction = "CN", hardware = GPU, price = 1000n) =>
    computeMsg.registerNode({
      worker: worker.address,
      encryptionKey: new Uint8Array(32).fill(7),
      hardware,
      jurisdiction,
      region: "east",
      bond: 1_000_000n,
      price,
      capacity: 4,
    });
  return {
    chain,
    node,
    block,
    ok,
    query,
    balance,
    eventsOf,
    feesOf,
    register,
    accounts: { authority, patient, auditor, opA, opB, opC, opD, wA, wB, wC, wD, poor } as Record<
      string,
      Signer
    >,
  };
}
