// The worker's model runner over the shipped models: each model by its card's id, opened on first
// use, its own canonical format, and the benchmark answered with the model the chain names.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  analyzeCanonical,
  analyzePerioCanonical,
  benchmarkInput,
  CANONICAL_CARIES_VERSION,
  CANONICAL_PERIO_VERSION,
  CariesPipeline,
  PerioPipeline,
  perioBenchmarkInput,
  resultSha256,
} from "@btt/ai";
import { toHex } from "@btt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CARIES_MODEL, ModelRunner, PERIO_MODEL, type RunnableModel } from "../src/model-runner.ts";

const cardOf = (name: string) =>
  JSON.parse(
    readFileSync(fileURLToPath(new URL(`../../../models/${name}/card.json`, import.meta.url)), "utf8"),
  ) as {
    id: string;
    version: string;
  };
const CARIES = cardOf("caries");
const PERIO = cardOf("perio");
const SUITE = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../models/caries/benchmark.json", import.meta.url)), "utf8"),
) as { model_id: string; model_version: string; items: Array<{ seed: number; result_sha256: string }> };

const formatOf = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)).format;

/** A shipped model whose opens are counted. */
function counted(model: RunnableModel, opens: { n: number }): RunnableModel {
  return {
    ...model,
    open: (card) => {
      opens.n++;
      return model.open(card);
    },
  };
}

let runner: ModelRunner;
const cariesOpens = { n: 0 };
const perioOpens = { n: 0 };
beforeAll(async () => {
  runner = await ModelRunner.open([counted(CARIES_MODEL, cariesOpens), counted(PERIO_MODEL, perioOpens)]);
});
afterAll(() => runner?.close());

describe("ModelRunner", () => {
  it("knows both shipped models by card id and version, and nothing else", () => {
    expect(runner.models).toEqual([
      { id: CARIES.id, version: CARIES.version },
      { id: PERIO.id, version: PERIO.version },
    ]);
    expect(CARIES.id).not.toBe(PERIO.id);
    for (const card of [CARIES, PERIO]) {
      expect(runner.supports(card.id, card.version)).toBe(true);
      expect(runner.supports(card.id, "")).toBe(true);
      expect(runner.supports(card.id, "9.9.9")).toBe(false);
    }
    expect(runner.supports("btt.dental.other", "")).toBe(false);
  });

  it("opens no pipeline until a model is run, then each once", async () => {
    expect([cariesOpens.n, perioOpens.n]).toEqual([0, 0]);
    const input = await benchmarkInput(5);
    await Promise.all([runner.run(CARIES.id, input), runner.run(CARIES.id, input)]);
    expect([cariesOpens.n, perioOpens.n]).toEqual([1, 0]);
    await runner.run(PERIO.id, await perioBenchmarkInput(5));
    await runner.run(CARIES.id, input);
    expect([cariesOpens.n, perioOpens.n]).toEqual([1, 1]);
    await expect(runner.run("btt.dental.other", input)).rejects.toThrow(/not one this worker runs/);
  });

  it("runs each model's own canonical function on its synthetic input", async () => {
    const caries = await CariesPipeline.open();
    const perio = await PerioPipeline.open();
    try {
      const bitewing = await benchmarkInput(7);
      const view = await perioBenchmarkInput(3);
      const cariesBytes = await runner.run(CARIES.id, bitewing);
      const perioBytes = await runner.run(PERIO.id, view);
      expect(formatOf(cariesBytes)).toBe(CANONICAL_CARIES_VERSION);
      expect(formatOf(perioBytes)).toBe(CANONICAL_PERIO_VERSION);
      expect(cariesBytes).toEqual(await analyzeCanonical(caries, bitewing));
      expect(perioBytes).toEqual(await analyzePerioCanonical(perio, view));
      // Eight teeth, each with its bone loss and stage.
      expect(JSON.parse(new TextDecoder().decode(perioBytes)).teeth).toHaveLength(8);
    } finally {
      await caries.close();
      await perio.close();
    }
  });

  it("answers the chain's benchmark with the model the suite names", async () => {
    expect(SUITE.model_id).toBe(CARIES.id);
    const items = SUITE.items.slice(0, 2);
    const answers = await runner.benchmark(
      SUITE.model_id,
      SUITE.model_version,
      items.map((i) => i.seed),
    );
    expect(answers.map(toHex)).toEqual(items.map((i) => i.result_sha256));
    // The same seeds under the periodontal model: its own inputs and answers, not the suite's.
    const perio = await runner.benchmark(PERIO.id, PERIO.version, [1]);
    expect(toHex(perio[0]!)).toBe(
      toHex(resultSha256(await runner.run(PERIO.id, await perioBenchmarkInput(1)))),
    );
    expect(toHex(perio[0]!)).not.toBe(items[0]!.result_sha256);
    await expect(runner.benchmark(CARIES.id, "9.9.9", [1])).rejects.toThrow(/not one this worker runs/);
  });
});
