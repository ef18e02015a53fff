import { describe, expect, it } from "vitest";
import type { CariesFinding } from "../src/caries.ts";
import { aucMannWhitney, evaluateCaries, expectedCalibrationError, wilson } from "../src/evaluate.ts";
import { preferredProviders } from "../src/model.ts";

const finding = (box: [number, number, number, number], tooth: number, score = 0.9): CariesFinding => ({
  box,
  tooth,
  severity: "dentin",
  score,
  severityScore: 0.8,
  toothScore: 0.8,
});

describe("evaluation", () => {
  it("Wilson interval matches hand-computed values", () => {
    const p = wilson(8, 10);
    expect(p.value).toBe(0.8);
    expect(p.ci95[0]).toBeCloseTo(0.4902, 3);
    expect(p.ci95[1]).toBeCloseTo(0.9433, 3);
    expect(wilson(0, 0).ci95).toEqual([0, 1]);
  });

  it("counts lesion and image outcomes", () => {
    const e = evaluateCaries([
      // one hit (right tooth, right severity), one miss
      {
        predicted: [finding([10, 10, 10, 10], 16)],
        labels: [
          { box: [11, 10, 10, 10], tooth: 16, severity: 2 },
          { box: [100, 100, 10, 10], tooth: 15, severity: 1 },
        ],
      },
      // a false positive on a clean image
      { predicted: [finding([0, 0, 5, 5], 17)], labels: [] },
      // a true negative
      { predicted: [], labels: [] },
      // a hit on the wrong tooth plus a duplicate that cannot match the same label twice
      {
        predicted: [finding([50, 50, 8, 8], 46, 0.9), finding([50, 50, 8, 8], 46, 0.5)],
        labels: [{ box: [50, 50, 8, 8], tooth: 47, severity: 3 }],
      },
    ]);
    expect(e.lesionPrecision.value).toBe(0.5); // 2 of 4 predictions
    expect(e.lesionRecall.value).toBeCloseTo(2 / 3, 4);
    expect(e.imageSensitivity.value).toBe(1);
    expect(e.imageSpecificity.value).toBe(0.5);
    expect(e.toothAccuracy.value).toBe(0.5);
    expect(e.severityAccuracy.value).toBe(0.5);
    // 4 predictions: three at 0.9 (2 matched) → |0.9 − 2/3|·3/4; one at 0.5 (unmatched) → 0.5·1/4
    expect(e.calibrationError.value).toBeCloseTo(0.3, 4);
    expect(e.calibrationError.n).toBe(4);
    // image scores: with lesions 0.9, 0.9; without 0.9, 0 → (0.5 + 1 + 0.5 + 1)/4
    expect(e.auc).toMatchObject({ value: 0.75, positives: 2, negatives: 2 });
  });

  it("ECE over 10 bins matches a hand-computed value", () => {
    const c = expectedCalibrationError([
      { score: 0.95, matched: true },
      { score: 0.85, matched: true },
      { score: 0.85, matched: false },
      { score: 0.25, matched: false },
    ]);
    // (1·|0.95 − 1| + 2·|0.85 − 0.5| + 1·|0.25 − 0|) / 4 = 0.25
    expect(c.value).toBeCloseTo(0.25, 4);
    expect(c.bins.map((b) => [b.lo, b.n])).toEqual([
      [0.2, 1],
      [0.8, 2],
      [0.9, 1],
    ]);
    expect(expectedCalibrationError([{ score: 1, matched: true }]).bins[0]!.lo).toBe(0.9);
    expect(expectedCalibrationError([]).value).toBe(0);
    // perfectly calibrated: half of the 0.5s matched
    const half = expectedCalibrationError([
      { score: 0.5, matched: true },
      { score: 0.5, matched: false },
    ]);
    expect(half.value).toBe(0);
  });

  it("AUC is the Mann–Whitney statistic, ties counting one half, with a Hanley–McNeil interval", () => {
    // pairs won: 0.9 beats 3, 0.8 beats 3, 0.3 beats 0 and ties 0.3 → 7.5 of 9
    const a = aucMannWhitney([0.9, 0.8, 0.3], [0.5, 0.3, 0]);
    expect(a.value).toBeCloseTo(5 / 6, 4);
    expect(a.ci95[0]).toBeCloseTo(0.4726, 3);
    expect(a.ci95[1]).toBe(1);
    expect(aucMannWhitney([1, 2], [3, 4]).value).toBe(0);
    expect(aucMannWhitney([0.5, 0.5], [0.5]).value).toBe(0.5);
    expect(aucMannWhitney([0.7], []).ci95).toEqual([0, 1]);
  });
});

describe("execution providers", () => {
  it("falls back to CPU without a GPU and honours BTT_AI_CPU_ONLY", () => {
    const saved = process.env.BTT_AI_CPU_ONLY;
    process.env.BTT_AI_CPU_ONLY = "1";
    expect(preferredProviders()).toEqual(["cpu"]);
    if (saved === undefined) delete process.env.BTT_AI_CPU_ONLY;
    else process.env.BTT_AI_CPU_ONLY = saved;
    expect(preferredProviders().at(-1)).toBe("cpu");
  });
});
