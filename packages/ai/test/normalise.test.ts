import { describe, expect, it } from "vitest";
import { CARIES_INPUT, mapBox, toothClass, toothFdi } from "../src/caries.ts";
import { flipHorizontal, normaliseIntensity, orient, percentile, resize } from "../src/normalise.ts";
import { decodeRleFrame, encodeRleFrame } from "../src/rle.ts";
import type { Image } from "../src/study.ts";
import { mulberry32 } from "../src/synth.ts";

const img = (w: number, h: number, f: (x: number, y: number) => number): Image => ({
  width: w,
  height: h,
  data: Float32Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w))),
});

describe("resampling", () => {
  it("halving averages 2x2 blocks exactly", () => {
    const src = img(8, 6, (x, y) => x * 10 + y);
    const out = resize(src, 4, 3);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++) {
        const mean =
          (src.data[2 * y * 8 + 2 * x]! +
            src.data[2 * y * 8 + 2 * x + 1]! +
            src.data[(2 * y + 1) * 8 + 2 * x]! +
            src.data[(2 * y + 1) * 8 + 2 * x + 1]!) /
          4;
        expect(out.data[y * 4 + x]).toBeCloseTo(mean, 5);
      }
  });

  it("keeps the mean of a non-integer downscale and interpolates when growing", () => {
    const rand = mulberry32(3);
    const src = img(300, 170, () => rand());
    const mean = (d: Float32Array) => d.reduce((a, b) => a + b, 0) / d.length;
    expect(mean(resize(src, 256, 128).data)).toBeCloseTo(mean(src.data), 2);
    const ramp = img(4, 1, (x) => x);
    const up = resize(ramp, 8, 1).data;
    for (let i = 1; i < up.length; i++) expect(up[i]!).toBeGreaterThanOrEqual(up[i - 1]!);
    expect(up[0]).toBe(0);
    expect(up[7]).toBe(3);
  });
});

describe("orientation and intensity", () => {
  it("flips rows toward R and columns toward H into the canonical L/F view", () => {
    const src = img(3, 2, (x, y) => y * 3 + x);
    expect(Array.from(orient(src, { orientation: ["R", "F"] }).image.data)).toEqual([2, 1, 0, 5, 4, 3]);
    expect(Array.from(orient(src, { orientation: ["L", "H"] }).image.data)).toEqual([3, 4, 5, 0, 1, 2]);
    expect(Array.from(orient(src, {}).image.data)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Array.from(flipHorizontal(flipHorizontal(src)).data)).toEqual(Array.from(src.data));
  });

  it("stretches the 1st..99th percentile to [0, 1] whatever the exposure", () => {
    const rand = mulberry32(8);
    const base = img(100, 100, () => rand());
    const dark = { ...base, data: base.data.map((v) => 0.1 + v * 0.3) };
    const a = normaliseIntensity(base).data;
    const b = normaliseIntensity(dark).data;
    expect(percentile(a, 0.5)).toBeCloseTo(percentile(b, 0.5), 1);
    expect(Math.min(...b)).toBe(0);
    expect(Math.max(...b)).toBe(1);
  });
});

describe("caries geometry", () => {
  it("maps boxes to the model input and back, mirrored for left bitewings", () => {
    for (const mirrored of [false, true]) {
      const t = {
        sourceWidth: 512,
        sourceHeight: 256,
        mirrored,
        side: mirrored ? ("L" as const) : ("R" as const),
      };
      const box: [number, number, number, number] = [100, 40, 20, 10];
      const there = mapBox(box, t);
      expect(there[2]).toBeCloseTo((20 * CARIES_INPUT.width) / 512);
      if (mirrored) expect(there[0]).toBeCloseTo(CARIES_INPUT.width - (120 * CARIES_INPUT.width) / 512);
      const back = mapBox(there, t, true);
      for (const [i, v] of back.entries()) expect(v).toBeCloseTo(box[i]!, 6);
    }
  });

  it("tooth classes round-trip through FDI numbers per side", () => {
    for (const fdi of [14, 15, 16, 17, 44, 45, 46, 47]) expect(toothFdi(toothClass(fdi), "R")).toBe(fdi);
    for (const fdi of [24, 25, 26, 27, 34, 35, 36, 37]) expect(toothFdi(toothClass(fdi), "L")).toBe(fdi);
    expect(() => toothClass(11)).toThrow(RangeError);
  });
});

describe("RLE", () => {
  it("round-trips runs, literals and long runs for 8/16-bit and RGB", () => {
    const rand = mulberry32(4);
    for (const [samples, bytes] of [
      [1, 1],
      [1, 2],
      [3, 1],
    ] as const) {
      const pixels = 1000;
      const data = new Uint8Array(pixels * samples * bytes);
      for (let i = 0; i < data.length; i++)
        data[i] = i < 400 ? 7 : i < 700 ? Math.floor(rand() * 256) : (i >> 5) & 0xff;
      const enc = encodeRleFrame(data, samples, bytes);
      expect(Array.from(decodeRleFrame(enc, pixels, samples, bytes))).toEqual(Array.from(data));
    }
  });

  it("refuses a frame with the wrong segment count or cut short", () => {
    const enc = encodeRleFrame(new Uint8Array(500).fill(3), 1, 2);
    expect(() => decodeRleFrame(enc, 250, 1, 1)).toThrow(/segments/);
    expect(() => decodeRleFrame(enc.subarray(0, 40), 250, 1, 2)).toThrow(/header/);
  });
});
