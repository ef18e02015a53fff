// Synthetic bitewing radiographs with labelled proximal caries. Not a physical simulation: a
// layered drawing (soft tissue, trabecular bone, dentin, enamel, pulp, roots) with lesions cut
// into the enamel/dentin at the contact surfaces, then blur, noise and exposure variation.
// Every image is a pure function of its seed.
import type { Image } from "./study.ts";

export interface CariesLabel {
  /** [x, y, width, height] in pixels of the generated image. */
  box: [number, number, number, number];
  /** FDI tooth number (two digits). */
  tooth: number;
  /** 1 enamel, 2 outer dentin, 3 deep dentin (near the pulp). */
  severity: 1 | 2 | 3;
}

export interface SynthBitewing {
  image: Image;
  side: "R" | "L";
  lesions: CariesLabel[];
}

export interface SynthOptions {
  width?: number;
  height?: number;
  side?: "R" | "L";
  /** Force a number of lesions (otherwise 0-3 at random). */
  lesions?: number;
  /** Extra noise (standard deviation in display units) on top of the generator's own. */
  noise?: number;
}

export const SEVERITY_NAMES = ["enamel", "dentin", "deep-dentin"] as const;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Smooth random texture: a coarse random grid, bilinearly upsampled. */
function texture(rand: () => number, w: number, h: number, cell: number): Float32Array {
  const gw = Math.ceil(w / cell) + 2;
  const gh = Math.ceil(h / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, () => rand() * 2 - 1);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const fy = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const fx = gx - x0;
      const a = grid[y0 * gw + x0]! * (1 - fx) + grid[y0 * gw + x0 + 1]! * fx;
      const b = grid[(y0 + 1) * gw + x0]! * (1 - fx) + grid[(y0 + 1) * gw + x0 + 1]! * fx;
      out[y * w + x] = a * (1 - fy) + b * fy;
    }
  }
  return out;
}

export function gaussianBlur(img: Image, sigma: number): Image {
  if (sigma <= 0) return { ...img, data: img.data.slice() };
  const r = Math.ceil(sigma * 3);
  const k = Float32Array.from({ length: 2 * r + 1 }, (_, i) =>
    Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)),
  );
  const sum = k.reduce((a, b) => a + b, 0);
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * img.data[y * w + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[y * w + x] = s;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = s;
    }
  return { width: w, height: h, data: out };
}

export function addNoise(img: Image, sigma: number, seed: number): Image {
  const rand = mulberry32(seed);
  const data = img.data.map((v) => Math.min(1, Math.max(0, v + sigma * gaussian(rand))));
  return { ...img, data };
}

interface Tooth {
  fdi: number;
  cx: number;
  halfWidth: number;
  /** Occlusal surface y and the direction into the jaw (-1 up for the upper arch, +1 down). */
  y0: number;
  dir: 1 | -1;
  crown: number;
  enamel: number;
  roots: number[];
  rootLength: number;
}

export function generateBitewing(seed: number, opts: SynthOptions = {}): SynthBitewing {
  const rand = mulberry32(seed);
  const W = opts.width ?? 512;
  const H = opts.height ?? 256;
  const side = opts.side ?? (rand() < 0.5 ? "R" : "L");
  const occlusal = H * (0.5 + (rand() - 0.5) * 0.08);
  const gap = H * (0.02 + rand() * 0.03);
  // Distal (molars) at the image's left for the right side; mirrored for the left side.
  const units = [7, 6, 5, 4];
  const widths = units.map((u) => (u >= 6 ? 0.26 : 0.19) * W * (0.92 + rand() * 0.12));
  const teeth: Tooth[] = [];
  for (const [arch, dir] of [
    ["upper", -1],
    ["lower", 1],
  ] as const) {
    let x = W * (0.02 + rand() * 0.04) + (arch === "lower" ? (rand() - 0.5) * 0.04 * W : 0);
    units.forEach((u, i) => {
      const w = widths[i]! * (0.95 + rand() * 0.08);
      const quadrant = side === "R" ? (arch === "upper" ? 1 : 4) : arch === "upper" ? 2 : 3;
      const cxCanon = x + w / 2;
      const cx = side === "R" ? cxCanon : W - cxCanon;
      const half = w / 2 - W * 0.006;
      const roots = u >= 6 ? [cx - half * 0.5, cx + half * 0.5] : [cx];
      teeth.push({
        fdi: quadrant * 10 + u,
        cx,
        halfWidth: half,
        y0: occlusal + (dir * gap) / 2,
        dir,
        crown: H * (0.2 + rand() * 0.04),
        enamel: H * (0.022 + rand() * 0.008),
        roots,
        rootLength: H * 0.4,
      });
      x += w;
    });
  }

  const bone = texture(rand, W, H, 6);
  const soft = texture(rand, W, H, 40);
  const att = new Float32Array(W * H);
  const boneLevel = 0.28 + rand() * 0.1;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      let v = 0.1 + 0.04 * soft[i]!;
      // Alveolar bone begins a little below the crowns' cervical line in each arch.
      const t = y < occlusal ? occlusal - y : y - occlusal;
      const crest = H * 0.24;
      if (t > crest) v += Math.min(1, (t - crest) / (H * 0.04)) * (boneLevel + 0.08 * bone[i]!);
      att[i] = v;
    }

  const toothValue = new Float32Array(W * H); // 0 outside teeth
  const enamelMask = new Uint8Array(W * H);
  for (const tooth of teeth) {
    const r = tooth.halfWidth * 0.35;
    const tMax = tooth.crown + tooth.rootLength;
    const yA = Math.round(tooth.y0);
    const yB = Math.round(tooth.y0 + tooth.dir * tMax);
    for (let y = Math.max(0, Math.min(yA, yB)); y < Math.min(H, Math.max(yA, yB) + 1); y++) {
      const t = (y - tooth.y0) * tooth.dir;
      if (t < 0 || t > tMax) continue;
      for (
        let x = Math.max(0, Math.floor(tooth.cx - tooth.halfWidth));
        x < Math.min(W, tooth.cx + tooth.halfWidth + 1);
        x++
      ) {
        const dx = Math.abs(x - tooth.cx);
        const i = y * W + x;
        if (t <= tooth.crown) {
          // Crown with rounded occlusal corners.
          let half = tooth.halfWidth;
          if (t < r) half -= r - Math.sqrt(r * r - (r - t) * (r - t));
          if (t > tooth.crown * 0.8) half *= 1 - 0.35 * ((t - tooth.crown * 0.8) / (tooth.crown * 0.2));
          if (dx > half) continue;
          const inEnamel = t < tooth.enamel || half - dx < tooth.enamel * (1 - t / tooth.crown);
          const pulp =
            t > tooth.crown * 0.45 &&
            dx < tooth.halfWidth * (0.28 - 0.1 * ((t - tooth.crown * 0.45) / tooth.crown));
          toothValue[i] = inEnamel ? 0.75 : pulp ? 0.28 : 0.52;
          if (inEnamel) enamelMask[i] = 1;
        } else {
          const s = (t - tooth.crown) / tooth.rootLength;
          for (const rx of tooth.roots) {
            const half = tooth.halfWidth * (tooth.roots.length > 1 ? 0.3 : 0.45) * (1 - 0.7 * s);
            const d = Math.abs(x - rx);
            if (d <= half) toothValue[i] = d < Math.max(1.2, half * 0.2) ? 0.3 : 0.5;
          }
        }
      }
    }
  }

  // Lesions: a radiolucent ellipse at a proximal crown surface.
  const lesions: CariesLabel[] = [];
  const count = opts.lesions ?? [0, 0, 1, 1, 1, 2, 2, 3][Math.floor(rand() * 8)]!;
  const used = new Set<string>();
  const cut = new Float32Array(W * H);
  for (let n = 0; n < count; n++) {
    const tooth = teeth[Math.floor(rand() * teeth.length)]!;
    const surface = rand() < 0.5 ? -1 : 1;
    const key = `${tooth.fdi}${surface}`;
    if (used.has(key)) continue;
    used.add(key);
    const severity = (1 + Math.floor(rand() * 3)) as 1 | 2 | 3;
    const depth = tooth.enamel * [1.6, 2.6, 3.8][severity - 1]! * (0.9 + rand() * 0.25);
    const height = tooth.enamel * [2.8, 3.4, 4.0][severity - 1]! * (0.9 + rand() * 0.25);
    const t = tooth.crown * (0.3 + rand() * 0.2);
    const cy = tooth.y0 + tooth.dir * t;
    const edge = tooth.cx + surface * tooth.halfWidth;
    const cx = edge - (surface * depth) / 2;
    const strength = [0.45, 0.55, 0.65][severity - 1]!;
    for (let y = Math.floor(cy - height / 2); y <= Math.ceil(cy + height / 2); y++)
      for (let x = Math.floor(cx - depth / 2); x <= Math.ceil(cx + depth / 2); x++) {
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        const e = ((x - cx) / (depth / 2)) ** 2 + ((y - cy) / (height / 2)) ** 2;
        if (e <= 1) cut[y * W + x] = Math.max(cut[y * W + x]!, strength * (1 - 0.5 * e));
      }
    const x0 = Math.max(0, cx - depth / 2);
    const y0 = Math.max(0, cy - height / 2);
    lesions.push({
      box: [x0, y0, Math.min(W, cx + depth / 2) - x0, Math.min(H, cy + height / 2) - y0],
      tooth: tooth.fdi,
      severity,
    });
  }

  const gain = 0.85 + rand() * 0.3;
  const data = new Float32Array(W * H);
  for (let i = 0; i < W * H; i++) {
    let v = att[i]!;
    if (toothValue[i]! > 0) v = Math.max(v, toothValue[i]! + 0.05 * bone[i]!) * (1 - cut[i]!);
    data[i] = v * gain;
  }
  let image: Image = { width: W, height: H, data };
  image = gaussianBlur(image, 0.6 + rand() * 0.8);
  image = addNoise(image, 0.008 + rand() * 0.02 + (opts.noise ?? 0), seed ^ 0x5bd1e995);
  return { image, side, lesions };
}
