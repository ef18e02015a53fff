import {
  BttError,
  encodeAddress,
  MsgDeprecateVersionSchema,
  MsgPublishVersionSchema,
  MsgRegisterModelSchema,
} from "@btt/core";
import { type DescMessage, fromBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { aiMsg, createAiModule, DEFAULT_AI_PARAMS } from "../src/ai/index.ts";
import type { LedgerEvent } from "../src/framework/events.ts";
import { MemoryState } from "../src/framework/memory-store.ts";
import type { TxContext } from "../src/framework/module.ts";
import { BranchStore, CommittedStore } from "../src/framework/store.ts";

const address = (i: number) => encodeAddress(new Uint8Array(20).fill(i));
const OWNER = address(1);
const OTHER = address(2);
const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);
const CARD = "c".repeat(64);

function chain() {
  const ai = createAiModule();
  const kv = new BranchStore(new CommittedStore(new MemoryState()));
  const events: LedgerEvent[] = [];
  let timeMs = 1_000n;
  const ctx = (sender: string): TxContext => ({
    block: { chainId: "t", height: 1n, timeMs, proposer: OTHER },
    kv,
    emit: (e) => events.push(e),
    sender,
    txHash: new Uint8Array(32),
  });
  const schemas: Record<string, DescMessage> = {
    "ai/RegisterModel": MsgRegisterModelSchema,
    "ai/PublishVersion": MsgPublishVersionSchema,
    "ai/DeprecateVersion": MsgDeprecateVersionSchema,
  };
  return {
    ai,
    kv,
    events,
    tick: () => {
      timeMs += 1000n;
    },
    /** Decodes a built Msg and runs validate + execute on a branch, as the router would. */
    send(sender: string, m: { type: string; value: Uint8Array }) {
      const handler = ai.messages.find((h) => h.type === m.type)!;
      const value = fromBinary(schemas[m.type]!, m.value);
      handler.validate(value, sender);
      const branch = new BranchStore(kv);
      handler.execute({ ...ctx(sender), kv: branch }, value);
      branch.writeToParent();
    },
    query: (name: string, p: Record<string, string> = {}) =>
      ai.queries.find((q) => q.name === name)!.handle({ kv, height: 1n }, p) as Record<string, unknown>,
    ctx,
  };
}

const register = aiMsg.registerModel({
  modelId: "btt.dental.caries.bitewing",
  task: "caries-detection",
  modalities: ["IO", "DX"],
  description: "reference model",
  pricePerTask: { denom: "ubtt", amount: 5n },
});
const publish = (version: string, sha256 = HASH_A) =>
  aiMsg.publishVersion({
    modelId: "btt.dental.caries.bitewing",
    version,
    sha256,
    cardSha256: CARD,
    sizeBytes: 1234n,
  });

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

describe("ai module: model registry", () => {
  it("registers, publishes versions pinned by hash, resolves and deprecates", () => {
    const c = chain();
    c.send(OWNER, register);
    c.send(OWNER, publish("0.1.0", HASH_A));
    c.tick();
    c.send(OWNER, publish("0.2.0", HASH_B));
    const got = c.query("model", { model_id: "btt.dental.caries.bitewing" }) as {
      model: { owner: string; latest_version: string; price_per_task: unknown };
      versions: { version: string; sha256: string; status: string }[];
    };
    expect(got.model.owner).toBe(OWNER);
    expect(got.model.latest_version).toBe("0.2.0");
    expect(got.model.price_per_task).toEqual({ denom: "ubtt", amount: "5" });
    expect(got.versions.map((v) => [v.version, v.sha256, v.status])).toEqual([
      ["0.1.0", HASH_A, "active"],
      ["0.2.0", HASH_B, "active"],
    ]);
    expect(c.query("resolve", { model_id: "btt.dental.caries.bitewing" })).toMatchObject({
      version: { version: "0.2.0", sha256: HASH_B },
    });

    c.tick();
    c.send(
      OWNER,
      aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.2.0", "false positives on restorations"),
    );
    // Without a version: the newest active one; with one, any status (old results stay checkable).
    expect(c.query("resolve", { model_id: "btt.dental.caries.bitewing" })).toMatchObject({
      version: { version: "0.1.0" },
    });
    expect(c.query("resolve", { model_id: "btt.dental.caries.bitewing", version: "0.2.0" })).toMatchObject({
      version: {
        status: "deprecated",
        deprecation_reason: "false positives on restorations",
        deprecated_at_ms: "3000",
      },
    });
    expect(c.events.map((e) => e.type)).toEqual([
      "ai/model_registered",
      "ai/version_published",
      "ai/version_published",
      "ai/version_deprecated",
    ]);
    c.send(OWNER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.1.0", "retired"));
    expectCode(
      () => c.query("resolve", { model_id: "btt.dental.caries.bitewing" }),
      "NOT_FOUND",
      /no active version/,
    );
  });

  it("refuses duplicates, strangers, unknown models and malformed fields", () => {
    const c = chain();
    c.send(OWNER, register);
    expectCode(() => c.send(OTHER, register), "CONFLICT");
    expectCode(() => c.send(OTHER, publish("0.1.0")), "UNAUTHORIZED");
    c.send(OWNER, publish("0.1.0"));
    expectCode(() => c.send(OWNER, publish("0.1.0", HASH_B)), "CONFLICT");
    expectCode(
      () => c.send(OTHER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.1.0", "x")),
      "UNAUTHORIZED",
    );
    expectCode(
      () => c.send(OWNER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "9.9.9", "x")),
      "NOT_FOUND",
    );
    c.send(OWNER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.1.0", "x"));
    expectCode(
      () => c.send(OWNER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.1.0", "x")),
      "CONFLICT",
    );
    expectCode(
      () =>
        c.send(
          OWNER,
          aiMsg.publishVersion({
            modelId: "nope.model",
            version: "1",
            sha256: HASH_A,
            cardSha256: CARD,
            sizeBytes: 1n,
          }),
        ),
      "NOT_FOUND",
    );
    expectCode(() => c.send(OWNER, publish("0.3.0", "ABC")), "INVALID_MESSAGE", /sha256/);
    expectCode(() => c.send(OWNER, publish("bad version!")), "INVALID_MESSAGE", /version/);
    expectCode(
      () =>
        c.send(OWNER, aiMsg.registerModel({ modelId: "X", task: "caries-detection", modalities: ["IO"] })),
      "INVALID_MESSAGE",
      /model_id/,
    );
    expectCode(
      () =>
        c.send(
          OWNER,
          aiMsg.registerModel({ modelId: "ok.model", task: "caries-detection", modalities: ["io"] }),
        ),
      "INVALID_MESSAGE",
      /modalities\[0\]/,
    );
    expectCode(
      () => c.send(OWNER, aiMsg.registerModel({ modelId: "ok.model", task: "Caries", modalities: ["IO"] })),
      "INVALID_MESSAGE",
      /task/,
    );
    // A failed message leaves no writes.
    expect((c.query("models") as { models: unknown[] }).models).toHaveLength(1);
  });

  it("exports a genesis that validates and imports to the same state", () => {
    const c = chain();
    c.send(OWNER, register);
    c.send(OWNER, publish("0.1.0"));
    c.send(OWNER, aiMsg.deprecateVersion("btt.dental.caries.bitewing", "0.1.0", "old"));
    const exported = c.ai.genesis.exportGenesis(c.ctx(OWNER));
    const json = JSON.parse(JSON.stringify(exported));
    const d = chain();
    d.ai.genesis.initGenesis(d.ctx(OWNER), d.ai.genesis.validateGenesis(json));
    expect(d.ai.genesis.exportGenesis(d.ctx(OWNER))).toEqual(exported);
    expect(d.ai.genesis.validateGenesis(d.ai.genesis.defaultGenesis())).toEqual({
      params: DEFAULT_AI_PARAMS,
      models: [],
      consensus: [],
      verdicts: [],
    });

    const bad = structuredClone(json);
    bad.models[0].versions[0].sha256 = "zz";
    expectCode(() => d.ai.genesis.validateGenesis(bad), "INVALID_GENESIS", /ai\.models\[0\]\.versions\[0\]/);
    const dup = structuredClone(json);
    dup.models.push(dup.models[0]);
    expectCode(() => d.ai.genesis.validateGenesis(dup), "INVALID_GENESIS", /repeats a model id/);
  });
});
