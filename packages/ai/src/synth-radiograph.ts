// Drawing helpers shared by the periapical generators (endodontic and oral-pathology views):
// smooth random textures for trabecular bone and soft tissue, the film's finish (exposure gain,
// blur, quantum noise) and the 8-bit PNG the synthetic sets are stored as. All pure functions of
// their random source or seed.
import sharp from "sharp";
import type { Image } from "./study.ts";
import { addNoise, gaussianBlur } from "./synth.ts";

/** Smooth random texture in [-1, 1]: a coarse random grid of `cell` pixels, bilinearly upsampled. */
export function smoothTexture(rand: () => number, w: number, h: number, cell: number): Float32Array {
  const gw = Math.ceil(w / cell) + 2;
  const grid = Float32Array.from({ length: gw * (Math.ceil(h / cell) + 2) }, () => rand() * 2 - 1);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y / cell);
    const fy = y / cell - y0;
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x / cell);
      const fx = x / cell - x0;
      const k = y0 * gw + x0;
      const a = grid[k]! * (1 - fx) + grid[k + 1]! * fx;
      const b = grid[k + gw]! * (1 - fx) + grid[k + gw + 1]! * fx;
      out[y * w + x] = a * (1 - fy) + b * fy;
    }
  }
  return out;
}

/**
 * Trabecular bone: a fine and a medium texture mixed, so marrow spaces show at two scales as on a
 * periapical film. Values in about [-1, 1].
 */
export function trabecularTexture(rand: () => number, w: number, h: number): Float32Array {
  const fine = smoothTexture(rand, w, h, 3);
  const medium = smoothTexture(rand, w, h, 9);
  return fine.map((v, i) => 0.6 * v + 0.4 * medium[i]!);
}

/** Exposure gain, focal-spot blur and quantum noise: the last steps of every synthetic film. */
export function finishFilm(
  data: Float32Array,
  width: number,
  height: number,
  rand: () => number,
  noiseSeed: number,
  extraNoise = 0,
): Image {
  const gain = 0.85 + rand() * 0.3;
  const scaled = data.map((v) => v * gain);
  const blurred = gaussianBlur({ width, height, data: scaled }, 0.6 + rand() * 0.7);
  return addNoise(blurred, 0.008 + rand() * 0.018 + extraNoise, noiseSeed);
}

/** A display image (values in [0, 1]) as 8-bit grey PNG bytes. */
export function imageToPng(image: Image): Promise<Buffer> {
  const px = Buffer.alloc(image.width * image.height);
  for (let p = 0; p < px.length; p++) px[p] = Math.round(Math.min(1, Math.max(0, image.data[p]!)) * 255);
  return sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
    .png()
    .toBuffer();
}
