// I_quality: a [0, 1] score of how readable a radiograph is, from four measured properties of
// the display image (after VOI, before intensity normalisation, so bad exposure still shows):
//   exposure  E = exp(-((mean − 0.45) / 0.25)²) · (1 − clipped fraction)
//   contrast  C = s / (s + 0.08),            s = RMS contrast (standard deviation)
//   noise     N = r / (r + 4),               r = s / σ, σ from Immerkær's fast noise estimator
//   sharpness S = g / (g + 0.5),             g = √(mean gradient energy − noise share) / s
//   I_quality = (E · C · N · S)^(1/4)         (geometric mean: any one bad property pulls it down)
// Images larger than 1024 px on a side are area-downsampled first so the figures do not depend
// much on detector resolution.
import { resize } from "./normalise.ts";
import type { Image } from "./study.ts";

const SHARP_REF = 0.3;

export interface QualityReport {
  score: number;
  exposure: number;
  contrast: number;
  noise: number;
  sharpness: number;
  /** Raw measurements behind the terms. */
  measured: { mean: number; clipped: number; rmsContrast: number; noiseSigma: number; gradient: number };
}

/** Immerkær (1996): σ = √(π/2) / (6 (W−2)(H−2)) · Σ |I ∗ N|, N = [1 −2 1; −2 4 −2; 1 −2 1]. */
export function noiseSigma(img: Image): number {
  const { width: w, height: h, data: d } = img;
  let sum = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const v =
        d[i - w - 1]! -
        2 * d[i - w]! +
        d[i - w + 1]! -
        2 * d[i - 1]! +
        4 * d[i]! -
        2 * d[i + 1]! +
        d[i + w - 1]! -
        2 * d[i + w]! +
        d[i + w + 1]!;
      sum += Math.abs(v);
    }
  return (Math.sqrt(Math.PI / 2) * sum) / (6 * (w - 2) * (h - 2));
}

export function assessQuality(input: Image): QualityReport {
  let img = input;
  const longest = Math.max(img.width, img.height);
  if (longest > 1024) {
    const f = 1024 / longest;
    img = resize(img, Math.max(1, Math.round(img.width * f)), Math.max(1, Math.round(img.height * f)));
  }
  const { width: w, height: h, data: d } = img;
  const n = d.length;
  let sum = 0;
  let clipped = 0;
  for (const v of d) {
    sum += v;
    if (v <= 0.005 || v >= 0.995) clipped++;
  }
  const mean = sum / n;
  let varSum = 0;
  for (const v of d) varSum += (v - mean) ** 2;
  const s = Math.sqrt(varSum / n);
  const sigma = noiseSigma(img);
  // Laplacian energy (fine detail): white noise of σ adds 20σ² to it, which is removed.
  let l2 = 0;
  for (let y = 1; y < h - 1; y++)
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = d[i - 1]! + d[i + 1]! + d[i - w]! + d[i + w]! - 4 * d[i]!;
      l2 += lap * lap;
    }
  l2 /= (w - 2) * (h - 2);
  const gradient = Math.max(0.01, Math.sqrt(Math.max(0, l2 - 20 * sigma * sigma)) / Math.max(s, 1e-6));

  const exposure = Math.exp(-(((mean - 0.45) / 0.25) ** 2)) * (1 - clipped / n);
  const contrast = s / (s + 0.08);
  const noise = 1 / (1 + (sigma / 0.08) ** 2);
  const sharpness = gradient / (gradient + SHARP_REF);
  const score = (exposure * contrast * noise * sharpness) ** 0.25;
  return {
    score,
    exposure,
    contrast,
    noise,
    sharpness,
    measured: { mean, clipped: clipped / n, rmsContrast: s, noiseSigma: sigma, gradient },
  };
}
