// The canonical results: order-independent, rounding-stable, the same bytes on a second run, and
// the shipped caries benchmark suite (models/caries/benchmark.json) reproduced bit for bit.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { toHex } from "@btt/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { benchmarkInput, perioBenchmarkInput } from "../src/benchmark-input.ts";
import {
  analyzeCanonical,
  analyzePerioCanonical,
  CANONICAL_PERIO_VERSION,
  canonicalCariesResult,
  canonicalPerioResult,
  resultSha256,
} from "../src/canonical.ts";
import { PerioPipeline } from "../src/perio-pipeline.ts";
import { CariesPipeline } from "../src/pipeline.ts";
import { generatePerio } from "../src/synth-perio.ts";

const SUITE = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../models/caries/benchmark.json", import.meta.url)), "utf8"),
) as { model_id: string; model_version: string; items: Array<{ seed: number; result_sha256: string }> };

let pipeline: CariesPipeline;
let perio: PerioPipeline;
beforeAll(async () => {
  pipeline = await CariesPipeline.open();
  perio = await PerioPipeline.open();
});
afterAll(async () => {
  await pipeline?.close();
  await perio?.close();
});

const finding = (tooth: number, box: [number, number, number, number], score: number) => ({
  tooth,
  box,
  score,
  severity: "dentin" as const,
  severityScore: 0.9,
  toothScore: 0.8,
});
const display = { width: 512, height: 256, data: new Float32Array(0) };
const decode = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

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

describe("canonicalPerioResult", () => {
  const tooth = (fdi: number, boneLossPct: number) => ({ tooth: fdi, boneLossPct });

  it("sorts teeth by FDI and keeps a fixed key order whatever the findings' order", () => {
    const teeth = [tooth(46, 40.2), tooth(16, 8), tooth(44, 15), tooth(14, 33)];
    const one = canonicalPerioResult({ display, side: "R", findings: teeth });
    const two = canonicalPerioResult({ display, side: "R", findings: [...teeth].reverse() });
    expect(one).toEqual(two);
    expect(new TextDecoder().decode(one)).toBe(
      `{"format":"${CANONICAL_PERIO_VERSION}","width":512,"height":256,"side":"R","teeth":[` +
        `{"tooth":14,"bone_loss_pm":330,"stage":"II"},{"tooth":16,"bone_loss_pm":80,"stage":"I"},` +
        `{"tooth":44,"bone_loss_pm":150,"stage":"II"},{"tooth":46,"bone_loss_pm":402,"stage":"III/IV"}]}`,
    );
    expect(canonicalPerioResult({ display, side: "L", findings: teeth })).not.toEqual(one);
  });

  it("quantises bone loss to whole tenths of a percent and stages the rounded value", () => {
    const at = (pct: number) =>
      decode(canonicalPerioResult({ display, side: "R", findings: [tooth(36, pct)] }));
    // Float noise below a tenth does not change the bytes; a tenth does.
    expect(at(12.3000001)).toEqual(at(12.3));
    expect(at(12.2999999)).toEqual(at(12.3));
    expect(at(12.4).teeth[0].bone_loss_pm).toBe(124);
    // Either side of a stage boundary by noise: the same rounded value, so the same stage.
    expect(at(14.99).teeth[0]).toEqual({ tooth: 36, bone_loss_pm: 150, stage: "II" });
    expect(at(15.0001).teeth[0]).toEqual({ tooth: 36, bone_loss_pm: 150, stage: "II" });
    expect(at(14.94).teeth[0]).toEqual({ tooth: 36, bone_loss_pm: 149, stage: "I" });
    expect(at(33.04).teeth[0]).toEqual({ tooth: 36, bone_loss_pm: 330, stage: "II" });
    expect(at(33.05).teeth[0]).toEqual({ tooth: 36, bone_loss_pm: 331, stage: "III/IV" });
  });
});

describe("analyzePerioCanonical", () => {
  it.each([3, 8])(
    "seed %i: the same bytes on two runs, one entry per tooth of the drawn view",
    async (seed) => {
      const input = await perioBenchmarkInput(seed);
      const first = await analyzePerioCanonical(perio, input);
      expect(await analyzePerioCanonical(perio, await perioBenchmarkInput(seed))).toEqual(first);
      const json = decode(first);
      const drawn = generatePerio(seed);
      expect(json).toMatchObject({
        format: CANONICAL_PERIO_VERSION,
        width: 512,
        height: 384,
        side: drawn.side,
      });
      expect(json.teeth.map((t: { tooth: number }) => t.tooth)).toEqual(
        drawn.teeth.map((t) => t.tooth).sort((a, b) => a - b),
      );
      // The model's estimate is near the drawn loss (its held-out error is about 1.5 points).
      for (const t of json.teeth) {
        const label = drawn.teeth.find((d) => d.tooth === t.tooth)!;
        expect(Math.abs(t.bone_loss_pm / 10 - label.boneLossPct)).toBeLessThan(10);
      }
      // Not the caries format: the two models' results never hash alike.
      expect(first).not.toEqual(await analyzeCanonical(pipeline, input));
    },
  );
});
