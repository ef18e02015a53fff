// Geometry and intensity normalisation: orientation to a canonical view, resampling to a
// model's input size, and a robust (percentile) intensity stretch that removes the differences
// in exposure and detector range between equipment.
import type { Image, Study } from "./study.ts";

export function flipHorizontal(img: Image): Image {
  const { width: w, height: h } = img;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = img.data[y * w + (w - 1 - x)]!;
  return { width: w, height: h, data };
}

export function flipVertical(img: Image): Image {
  const { width: w, height: h } = img;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) data.set(img.data.subarray((h - 1 - y) * w, (h - y) * w), y * w);
  return { width: w, height: h, data };
}

/**
 * Canonical orientation: rows run toward the patient's left (L) and columns toward the feet (F),
 * the way radiographs are read. A file whose Patient Orientation (0020,0020) says rows run toward
 * R or columns toward H is flipped; files without it are taken as already canonical.
 */
export function orient(
  img: Image,
  study: Pick<Study, "orientation">,
): { image: Image; flippedH: boolean; flippedV: boolean } {
  const [row, col] = study.orientation ?? ["", ""];
  const flippedH = row.startsWith("R");
  const flippedV = col.startsWith("H");
  let image = img;
  if (flippedH) image = flipHorizontal(image);
  if (flippedV) image = flipVertical(image);
  return { image, flippedH, flippedV };
}

/** Weights of a 1-D resampling: area average when shrinking, linear interpolation when growing. */
function weights(src: number, dst: number): { index: Int32Array; weight: Float32Array; taps: number } {
  const scale = src / dst;
  const taps = scale > 1 ? Math.ceil(scale) + 1 : 2;
  const index = new Int32Array(dst * taps);
  const weight = new Float32Array(dst * taps);
  for (let o = 0; o < dst; o++) {
    if (scale > 1) {
      const a = o * scale;
      const b = a + scale;
      let k = 0;
      for (let s = Math.floor(a); s < Math.ceil(b) && k < taps; s++, k++) {
        const overlap = Math.min(b, s + 1) - Math.max(a, s);
        index[o * taps + k] = Math.min(src - 1, s);
        weight[o * taps + k] = overlap / scale;
      }
    } else {
      const c = Math.max(0, Math.min(src - 1, (o + 0.5) * scale - 0.5));
      const s0 = Math.floor(c);
      const f = c - s0;
      index[o * taps] = s0;
      weight[o * taps] = 1 - f;
      index[o * taps + 1] = Math.min(src - 1, s0 + 1);
      weight[o * taps + 1] = f;
    }
  }
  return { index, weight, taps };
}

export function resize(img: Image, width: number, height: number): Image {
  if (img.width === width && img.height === height) return { ...img, data: img.data.slice() };
  const wx = weights(img.width, width);
  const wy = weights(img.height, height);
  const tmp = new Float32Array(width * img.height);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width;
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let k = 0; k < wx.taps; k++)
        s += wx.weight[x * wx.taps + k]! * img.data[row + wx.index[x * wx.taps + k]!]!;
      tmp[y * width + x] = s;
    }
  }
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let k = 0; k < wy.taps; k++) {
      const w = wy.weight[y * wy.taps + k]!;
      if (w === 0) continue;
      const row = wy.index[y * wy.taps + k]! * width;
      for (let x = 0; x < width; x++) data[y * width + x]! += w * tmp[row + x]!;
    }
  return { width, height, data };
}

/** Value at a fraction of the sorted intensities (of a [0,1] image), from a 1024-bin histogram. */
export function percentile(data: Float32Array, q: number): number {
  const bins = 1024;
  const hist = new Uint32Array(bins);
  for (const v of data) hist[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]!++;
  const target = q * data.length;
  let acc = 0;
  for (let b = 0; b < bins; b++) {
    acc += hist[b]!;
    if (acc >= target) return (b + 0.5) / bins;
  }
  return 1;
}

/** Stretches the 1st..99th percentile to [0, 1] (clipped), so exposure and detector range drop out. */
export function normaliseIntensity(img: Image, low = 0.01, high = 0.99): Image {
  const lo = percentile(img.data, low);
  const hi = Math.max(percentile(img.data, high), lo + 1e-3);
  const data = img.data.map((v) => Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
  return { width: img.width, height: img.height, data };
}
