import { describe, expect, it } from "vitest";
import { assessQuality, noiseSigma } from "../src/quality.ts";
import type { Image } from "../src/study.ts";
import { addNoise, gaussianBlur, generateBitewing } from "../src/synth.ts";

const under = (img: Image, k: number): Image => ({ ...img, data: img.data.map((v) => v * k) });

function expectFalling(scores: number[]): void {
  for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeLessThan(scores[i - 1]!);
}

describe("I_quality", () => {
  for (const seed of [3, 11, 29]) {
    const base = generateBitewing(seed, { width: 384, height: 192 }).image;
    it(`falls monotonically with noise, blur and under-exposure (seed ${seed})`, () => {
      const q0 = assessQuality(base).score;
      expect(q0).toBeGreaterThan(0);
      expect(q0).toBeLessThanOrEqual(1);
      expectFalling([
        q0,
        ...[0.02, 0.05, 0.1, 0.2].map((s) => assessQuality(addNoise(base, s, seed + 1)).score),
      ]);
      expectFalling([q0, ...[1, 2, 3, 5].map((s) => assessQuality(gaussianBlur(base, s)).score)]);
      expectFalling([q0, ...[0.8, 0.6, 0.4, 0.2].map((k) => assessQuality(under(base, k)).score)]);
    });
  }

  it("keeps every term in [0, 1] and the score their geometric mean", () => {
    const q = assessQuality(generateBitewing(5).image);
    for (const t of [q.exposure, q.contrast, q.noise, q.sharpness, q.score]) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThanOrEqual(1);
    }
    expect(q.score).toBeCloseTo((q.exposure * q.contrast * q.noise * q.sharpness) ** 0.25, 10);
  });

  it("a flat grey image has no contrast and scores near zero", () => {
    const flat: Image = { width: 64, height: 64, data: new Float32Array(64 * 64).fill(0.45) };
    const q = assessQuality(flat);
    expect(q.contrast).toBe(0);
    expect(q.score).toBe(0);
  });

  it("estimates added white noise (Immerkær)", () => {
    const smooth: Image = {
      width: 256,
      height: 256,
      data: Float32Array.from({ length: 256 * 256 }, (_, i) => 0.3 + 0.4 * ((i % 256) / 256)),
    };
    for (const s of [0.01, 0.03, 0.06]) expect(noiseSigma(addNoise(smooth, s, 9))).toBeCloseTo(s, 2);
  });
});
