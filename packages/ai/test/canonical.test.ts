// The canonical caries result: order-independent, rounding-stable, and the shipped benchmark
// suite (models/caries/benchmark.json) reproduced by this machine's pipeline bit for bit.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { toHex } from "@btt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchmarkInput } from "../src/benchmark-input.ts";
import { analyzeCanonical, canonicalCariesResult, resultSha256 } from "../src/canonical.ts";
import { CariesPipeline } from "../src/pipeline.ts";

const SUITE = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../models/caries/benchmark.json", import.meta.url)), "utf8"),
) as { model_id: string; model_version: string; items: Array<{ seed: number; result_sha256: string }> };

let pipeline: CariesPipeline;
beforeAll(async () => {
  pipeline = await CariesPipeline.open();
});
afterAll(() => pipeline?.close());

const finding = (tooth: number, box: [number, number, number, number], score: number) => ({
  tooth,
  box,
  score,
  severity: "dentin" as const,
  severityScore: 0.9,
  toothScore: 0.8,
});
const display = { width: 512, height: 256, data: new Float32Array(0) };

describe("canonicalCariesResult", () => {
  it("sorts findings by tooth then box, rounds boxes to pixels and scores to per-mille", () => {
    const a = finding(36, [10.4, 20.6, 5, 6], 0.91234);
    const b = finding(16, [99, 1, 2, 3], 0.5);
    const c = finding(36, [3, 20, 5, 6], 0.7);
    const one = canonicalCariesResult({ display, side: "R", findings: [a, b, c] as never });
    const two = canonicalCariesResult({ display, side: "R", findings: [c, a, b] as never });
    expect(one).toEqual(two);
    const json = JSON.parse(new TextDecoder().decode(one));
    expect(json.findings.map((f: { tooth: number; box: number[] }) => [f.tooth, f.box[0]])).toEqual([
      [16, 99],
      [36, 3],
      [36, 10],
    ]);
    expect(json.findings[2]).toEqual({ tooth: 36, box: [10, 21, 5, 6], severity: "dentin", score_pm: 912 });
    // Noise below the rounding does not change the bytes; a real difference does.
    const nudged = {
      ...a,
      box: [10.4000001, 20.6, 5, 6] as [number, number, number, number],
      score: 0.9120001,
    };
    expect(canonicalCariesResult({ display, side: "R", findings: [nudged, b, c] as never })).toEqual(one);
    const moved = { ...a, tooth: 37 };
    expect(canonicalCariesResult({ display, side: "R", findings: [moved, b, c] as never })).not.toEqual(one);
    expect(canonicalCariesResult({ display, side: "L", findings: [a, b, c] as never })).not.toEqual(one);
  });
});

describe("the benchmark suite", () => {
  it("names the shipped model", () => {
    expect(SUITE.model_id).toBe(pipeline.model.card.id);
    expect(SUITE.model_version).toBe(pipeline.model.card.version);
    expect(SUITE.items.map((i) => i.seed)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
  });

  it.each([1, 4, 17])("seed %i: this pipeline reproduces the suite's hash", async (seed) => {
    const canonical = await analyzeCanonical(pipeline, await benchmarkInput(seed));
    const want = SUITE.items.find((i) => i.seed === seed)!.result_sha256;
    expect(toHex(resultSha256(canonical))).toBe(want);
    // Run twice: the same bytes.
    expect(await analyzeCanonical(pipeline, await benchmarkInput(seed))).toEqual(canonical);
  });
});
