// The confidence formula and its terms against values computed by hand, the test-time
// augmentation views, and the overlay image.
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { CARIES_INPUT } from "../src/caries.ts";
import { confidence, pConsensus, ttaUncertainty, weightsFromPpm } from "../src/confidence.ts";
import { renderOverlay } from "../src/overlay.ts";
import { augment } from "../src/tta.ts";

describe("C = α·(I·D) + β·P·(1 − U)", () => {
  it("matches hand-computed values", () => {
    // 0.6·(0.8·0.9) + 0.4·0.75·(1 − 0.2) = 0.432 + 0.24 = 0.672
    const t = confidence({ alpha: 0.6, beta: 0.4 }, 0.8, 0.9, 0.75, 0.2);
    expect(t.C).toBeCloseTo(0.672, 12);
    expect(t).toMatchObject({
      alpha: 0.6,
      beta: 0.4,
      I_quality: 0.8,
      D_confidence: 0.9,
      P_consensus: 0.75,
      U_factor: 0.2,
    });
    // α = 0.5, β = 0.5, I = 0.5, D = 0.5, P = 0.5, U = 0.5: 0.125 + 0.125 = 0.25
    expect(confidence({ alpha: 0.5, beta: 0.5 }, 0.5, 0.5, 0.5, 0.5).C).toBeCloseTo(0.25, 12);
    // All β: C is P·(1 − U) = 0.3·0.9
    expect(confidence({ alpha: 0, beta: 1 }, 1, 1, 0.3, 0.1).C).toBeCloseTo(0.27, 12);
  });

  it("P_consensus is Laplace's rule: (confirmed + 1) / (reviewed + 2)", () => {
    expect(pConsensus({ confirmed: 0, reviewed: 0 })).toBe(0.5);
    expect(pConsensus({ confirmed: 8, reviewed: 10 })).toBe(0.75);
    expect(pConsensus({ confirmed: 0, reviewed: 3 })).toBe(0.2);
    expect(pConsensus({ confirmed: 98, reviewed: 98 })).toBe(0.99);
    expect(() => pConsensus({ confirmed: 3, reviewed: 2 })).toThrow(RangeError);
    expect(() => pConsensus({ confirmed: -1, reviewed: 2 })).toThrow(RangeError);
  });

  it("U_factor: mean of score dispersion (σ/0.5) and box disagreement (1 − mean IoU)", () => {
    // Scores 0.9, 0.7 (base, one view): mean 0.8, σ 0.1 → dispersion 0.2; IoU 0.6 → 0.4; U = 0.3
    const u = ttaUncertainty(0.9, [{ score: 0.7, iou: 0.6 }]);
    expect(u.scoreDispersion).toBeCloseTo(0.2, 12);
    expect(u.boxDisagreement).toBeCloseTo(0.4, 12);
    expect(u.u).toBeCloseTo(0.3, 12);
    // Identical views: U = 0.
    expect(
      ttaUncertainty(0.8, [
        { score: 0.8, iou: 1 },
        { score: 0.8, iou: 1 },
      ]).u,
    ).toBeCloseTo(0, 12);
    // Base 1, views 1, 0, 0 (two lost): mean 0.5, σ 0.5 → 1; IoUs 1, 0, 0 → 2/3; U = 5/6
    const lost = ttaUncertainty(1, [
      { score: 1, iou: 1 },
      { score: 0, iou: 0 },
      { score: 0, iou: 0 },
    ]);
    expect(lost.scoreDispersion).toBeCloseTo(1, 12);
    expect(lost.boxDisagreement).toBeCloseTo(2 / 3, 12);
    expect(lost.u).toBeCloseTo(5 / 6, 12);
    expect(ttaUncertainty(0.7, [])).toMatchObject({ u: 0, views: 0 });
  });

  it("α and β come from the chain as parts per million", () => {
    expect(weightsFromPpm(600_000, "400000")).toEqual({ alpha: 0.6, beta: 0.4 });
    expect(weightsFromPpm(250_000n, 0)).toEqual({ alpha: 0.25, beta: 0 });
    expect(() => weightsFromPpm(700_000, 400_000)).toThrow(/at most/);
    expect(() => weightsFromPpm(1.5, 0)).toThrow(/integer/);
    expect(() => weightsFromPpm(-1, 0)).toThrow(/integer/);
  });
});

describe("test-time augmentation views", () => {
  const w = CARIES_INPUT.width;
  const h = CARIES_INPUT.height;
  const ramp = new Float32Array(w * h).map((_, i) => (i % w) / w);

  it("shifts with edge repetition, brightens with clipping, applies gamma", () => {
    const s = augment(ramp, { kind: "shift", dx: 4, dy: 0 });
    expect(s[10]).toBeCloseTo(ramp[6]!, 7);
    expect(s[0]).toBe(ramp[0]);
    const b = augment(ramp, { kind: "brightness", delta: 0.5 });
    expect(b[w - 1]).toBe(1);
    expect(b[0]).toBeCloseTo(0.5, 7);
    const g = augment(ramp, { kind: "gamma", gamma: 2 });
    expect(g[w / 2]).toBeCloseTo(0.25, 6);
  });
});

describe("overlay", () => {
  it("draws the radiograph with coloured boxes at the findings", async () => {
    const img = { width: 200, height: 100, data: new Float32Array(200 * 100).fill(0.5) };
    const png = await renderOverlay(img, [{ box: [20, 40, 30, 30], tooth: 46, label: "dentin" }], () => 2);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([200, 100]);
    const px = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect(px(100, 90)).toEqual([128, 128, 128]); // untouched grey
    const edge = px(20, 55); // left edge of the box: red
    expect(edge[0]).toBeGreaterThan(160); // antialiased 1 px stroke: red well above grey
    expect(edge[1]).toBeLessThan(100);
    expect(px(35, 55)).toEqual([128, 128, 128]); // inside the box: not filled
  });
});

describe("the pipeline returns every term", () => {
  it("measures U_factor over the augmented views and combines the terms as the formula says", async () => {
    const { CariesPipeline } = await import("../src/pipeline.ts");
    const { generateBitewing } = await import("../src/synth.ts");
    const { writeDicom } = await import("../src/dicom-write.ts");
    const s = generateBitewing(4242, { lesions: 3, side: "R" });
    const bytes = await writeDicom({
      rows: s.image.height,
      cols: s.image.width,
      frames: [Array.from(s.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
      bitsStored: 12,
      laterality: "R",
    });
    const p = await CariesPipeline.open();
    try {
      const res = await p.analyze(bytes, {
        weights: { alpha: 0.7, beta: 0.3 },
        consensus: { confirmed: 3, reviewed: 8 },
      });
      const plain = await p.analyze(bytes, { augmentations: [] });
      expect(res.findings.length).toBe(3);
      res.findings.forEach((f, i) => {
        const c = f.confidence;
        expect(c.P_consensus).toBeCloseTo(0.4, 12); // (3 + 1) / (8 + 2)
        expect(c.tta_views).toBe(4);
        expect(c.U_factor).toBeGreaterThan(0);
        expect(c.U_factor).toBeLessThan(0.5); // a clear lesion survives small shifts and exposure changes
        expect(c.U_factor).toBeCloseTo((c.tta_score_dispersion + c.tta_box_disagreement) / 2, 12);
        expect(c.C).toBeCloseTo(0.7 * c.I_quality * c.D_confidence + 0.3 * 0.4 * (1 - c.U_factor), 12);
        // Same findings without augmentation; then U = 0 and C = 0.6·I·D + 0.4·0.5.
        const q = plain.findings[i]!.confidence;
        expect(q.D_confidence).toBeCloseTo(c.D_confidence, 6);
        expect(q.U_factor).toBe(0);
        expect(q.C).toBeCloseTo(0.6 * q.I_quality * q.D_confidence + 0.2, 12);
      });
      const obs = (res.report.contained as { id: string; component: { code: { text: string } }[] }[]).find(
        (o) => o.id === "finding-1",
      )!;
      const names = obs.component.map((c) => c.code.text);
      for (const t of ["C", "alpha", "beta", "I_quality", "D_confidence", "P_consensus", "U_factor"])
        expect(names).toContain(t);
    } finally {
      await p.close();
    }
  });
});
