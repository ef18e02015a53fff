import { describe, expect, it } from "vitest";
import type { CariesFinding } from "../src/caries.ts";
import { evaluateCaries, wilson } from "../src/evaluate.ts";
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
