// Clinicians' verdicts (ai/ConfirmFinding) and the confidence weights: only holders of a valid
// practitioner_licence may confirm, one verdict per finding, counts per model version, weights
// validated as ppm, all through genesis export and import.
import {
  BttError,
  encodeAddress,
  MsgConfirmFindingSchema,
  MsgPublishVersionSchema,
  MsgRegisterModelSchema,
} from "@btt/core";
import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { aiMsg, createAiModule, DEFAULT_AI_PARAMS, type IdentityKeeperForAi } from "../src/ai/index.ts";
import type { LedgerEvent } from "../src/framework/events.ts";
import { MemoryState } from "../src/framework/memory-store.ts";
import type { TxContext } from "../src/framework/module.ts";
import { BranchStore, CommittedStore } from "../src/framework/store.ts";

const address = (i: number) => encodeAddress(new Uint8Array(20).fill(i));
const OWNER = address(1);
const DENTIST = address(2);
const DENTIST2 = address(3);
const PATIENT = address(4);
const MODEL = "btt.dental.caries.bitewing";

/** The identity question the ai module asks; licences expire at 5000 ms here. */
const identity = (asked: unknown[]): IdentityKeeperForAi => ({
  hasValidCredential: (_kv, subject, type, q) => {
    asked.push({ subject, type, atMs: q.atMs });
    return type === "practitioner_licence" && (subject === DENTIST || subject === DENTIST2) && q.atMs < 5000n;
  },
});

function chain() {
  const asked: unknown[] = [];
  const ai = createAiModule(identity(asked));
  const kv = new BranchStore(new CommittedStore(new MemoryState()));
  const events: LedgerEvent[] = [];
  let timeMs = 1_000n;
  const ctx = (sender: string): TxContext => ({
    block: { chainId: "t", height: 1n, timeMs, proposer: OWNER },
    kv,
    emit: (e) => events.push(e),
    sender,
    txHash: new Uint8Array(32),
  });
  const schemas: Record<string, DescMessage> = {
    "ai/RegisterModel": MsgRegisterModelSchema,
    "ai/PublishVersion": MsgPublishVersionSchema,
    "ai/ConfirmFinding": MsgConfirmFindingSchema,
  };
  ai.genesis.initGenesis(ctx(OWNER), ai.genesis.validateGenesis(ai.genesis.defaultGenesis()));
  return {
    ai,
    kv,
    events,
    asked,
    at: (ms: bigint) => {
      timeMs = ms;
    },
    send(sender: string, m: { type: string; value: Uint8Array }) {
      const handler = ai.messages.find((h) => h.type === m.type)!;
      const value = fromBinary(schemas[m.type]!, m.value);
      handler.validate(value, sender);
      const branch = new BranchStore(kv);
      handler.execute({ ...ctx(sender), kv: branch }, value);
      branch.writeToParent();
    },
    query: (name: string, p: Record<string, string> = {}) =>
      // biome-ignore lint/suspicious/noExplicitAny: query results are asserted on field by field
      ai.queries.find((q) => q.name === name)!.handle({ kv, height: 1n }, p) as Record<string, any>,
    ctx,
  };
}

function withModel() {
  const c = chain();
  c.send(OWNER, aiMsg.registerModel({ modelId: MODEL, task: "caries-detection", modalities: ["IO"] }));
  c.send(
    OWNER,
    aiMsg.publishVersion({
      modelId: MODEL,
      version: "0.1.0",
      sha256: "a".repeat(64),
      cardSha256: "c".repeat(64),
      sizeBytes: 1n,
    }),
  );
  return c;
}

const verdict = (reportId: string, findingIndex: number, confirmed: boolean, modelVersion = "0.1.0") =>
  aiMsg.confirmFinding({ reportId, findingIndex, confirmed, modelId: MODEL, modelVersion });

function expectCode(fn: () => unknown, code: string, message?: RegExp) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BttError);
    expect((err as BttError).code).toBe(code);
    if (message) expect((err as BttError).message).toMatch(message);
    return;
  }
  throw new Error(`expected ${code}`);
}

describe("ai module: clinicians' verdicts and P_consensus", () => {
  it("counts confirmations and rejections per model version", () => {
    const c = withModel();
    expect(c.query("consensus", { model_id: MODEL, version: "0.1.0" }).consensus).toMatchObject({
      confirmed: "0",
      reviewed: "0",
    });
    c.send(DENTIST, verdict("r-1", 0, true));
    c.send(DENTIST, verdict("r-1", 1, true));
    c.send(DENTIST2, verdict("r-2", 0, false));
    const counts = c.query("consensus", { model_id: MODEL, version: "0.1.0" }).consensus;
    expect(counts).toEqual({ model_id: MODEL, version: "0.1.0", confirmed: "2", reviewed: "3" });
    // P_consensus = (2 + 1) / (3 + 2) = 0.6, computed at the edge from these counts.
    expect((Number(counts.confirmed) + 1) / (Number(counts.reviewed) + 2)).toBe(0.6);
    expect(c.query("verdict", { report_id: "r-2", finding_index: "0" }).verdict).toMatchObject({
      confirmed: false,
      confirmer: DENTIST2,
      at_ms: "1000",
    });
    expect(c.events.filter((e) => e.type === "ai/finding_reviewed")).toHaveLength(3);
    // The licence was asked of the identity keeper at block time.
    expect(c.asked).toContainEqual({ subject: DENTIST, type: "practitioner_licence", atMs: 1000n });
  });

  it("refuses non-practitioners, expired licences, repeats, unknown versions and malformed fields", () => {
    const c = withModel();
    expectCode(() => c.send(PATIENT, verdict("r-1", 0, true)), "UNAUTHORIZED", /practitioner_licence/);
    c.send(DENTIST, verdict("r-1", 0, true));
    expectCode(() => c.send(DENTIST2, verdict("r-1", 0, false)), "CONFLICT", /already has a verdict/);
    expectCode(() => c.send(DENTIST, verdict("r-1", 1, true, "9.9.9")), "NOT_FOUND");
    expectCode(() => c.send(DENTIST, verdict("", 0, true)), "INVALID_MESSAGE", /report_id/);
    expectCode(() => c.send(DENTIST, verdict("r 1", 0, true)), "INVALID_MESSAGE", /report_id/);
    expectCode(() => c.send(DENTIST, verdict("r-1", 5000, true)), "INVALID_MESSAGE", /finding_index/);
    c.at(6000n);
    expectCode(() => c.send(DENTIST, verdict("r-9", 0, true)), "UNAUTHORIZED");
    expect(c.query("consensus", { model_id: MODEL, version: "0.1.0" }).consensus.reviewed).toBe("1");
    expectCode(() => c.query("verdict", { report_id: "r-1", finding_index: "x" }), "INVALID_MESSAGE");
    expectCode(() => c.query("verdict", { report_id: "r-1", finding_index: "7" }), "NOT_FOUND");
  });

  it("holds α and β per module as ppm and validates them", () => {
    const c = chain();
    expect(c.query("params").params).toEqual(DEFAULT_AI_PARAMS);
    const g = c.ai.genesis;
    const withWeights = (w: unknown) => ({ models: [], params: { confidence_weights: w } });
    expect(
      g.validateGenesis(withWeights({ caries: { alpha_ppm: 700_000, beta_ppm: 300_000 } })).params,
    ).toEqual({ confidence_weights: { caries: { alpha_ppm: 700_000, beta_ppm: 300_000 } } });
    expectCode(
      () => g.validateGenesis(withWeights({ caries: { alpha_ppm: 700_000, beta_ppm: 400_000 } })),
      "INVALID_PARAMS",
      /at most 1000000/,
    );
    expectCode(
      () => g.validateGenesis(withWeights({ caries: { alpha_ppm: 0.5, beta_ppm: 0 } })),
      "INVALID_PARAMS",
      /alpha_ppm/,
    );
    expectCode(
      () => g.validateGenesis(withWeights({ "Bad Name": { alpha_ppm: 1, beta_ppm: 0 } })),
      "INVALID_PARAMS",
    );
  });

  it("exports verdicts and counts in genesis and imports them to the same state", () => {
    const c = withModel();
    c.send(DENTIST, verdict("r-1", 0, true));
    c.send(DENTIST2, verdict("r-1", 2, false));
    const exported = JSON.parse(JSON.stringify(c.ai.genesis.exportGenesis(c.ctx(OWNER))));
    expect(exported.consensus).toHaveLength(1);
    expect(exported.verdicts).toHaveLength(2);
    const d = chain();
    d.ai.genesis.initGenesis(d.ctx(OWNER), d.ai.genesis.validateGenesis(exported));
    expect(JSON.parse(JSON.stringify(d.ai.genesis.exportGenesis(d.ctx(OWNER))))).toEqual(exported);
    const bad = structuredClone(exported);
    bad.consensus[0].confirmed = "5";
    expectCode(() => d.ai.genesis.validateGenesis(bad), "INVALID_GENESIS", /confirmed must not exceed/);
    const orphan = structuredClone(exported);
    orphan.consensus[0].version = "7.0.0";
    expectCode(() => d.ai.genesis.validateGenesis(orphan), "INVALID_GENESIS", /no listed model version/);
    const dup = structuredClone(exported);
    dup.verdicts.push(dup.verdicts[0]);
    expectCode(() => d.ai.genesis.validateGenesis(dup), "INVALID_GENESIS", /repeats a finding/);
  });
});
