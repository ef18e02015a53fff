// Synthetic posterior radiographs for periodontal assessment: both arches' premolars and molars
// (FDI units 4-7) drawn with whole roots, so each tooth's cemento-enamel junction (CEJ), alveolar
// crest and root apex are visible, and the crest set per tooth by a drawn bone loss. Like the
// bitewing generator it is a layered drawing, not a physical simulation, and a pure function of
// its seed.
//
// Geometry is declared at PERIO_PIXEL_SPACING_MM per pixel (a 512x384 image spans 51x38 mm),
// which is what the 2 mm biological width is measured against:
//   crest = CEJ + 2 mm + loss · (CEJ→apex)   along the tooth's long axis, so
//   bone loss % = (CEJ→crest − 2 mm) / (CEJ→apex) · 100 = loss · 100.
// The crest is level across each tooth's width (horizontal bone loss only: no angular defects,
// mesial and distal sites equal), and the label is that one level.
import type { Image } from "./study.ts";
import { addNoise, gaussianBlur, mulberry32 } from "./synth.ts";

export const PERIO_PIXEL_SPACING_MM = 0.1;
export const BIOLOGICAL_WIDTH_MM = 2;
export const PERIO_MAX_LOSS = 0.7;

/** AAP/EFP 2017 stage by radiographic bone loss; III and IV differ only in clinical findings. */
export const PERIO_STAGES = ["I", "II", "III/IV"] as const;
export type PerioStage = (typeof PERIO_STAGES)[number];

export function perioStage(boneLossPct: number): PerioStage {
  if (boneLossPct < 15) return "I";
  if (boneLossPct <= 33) return "II";
  return "III/IV";
}

export interface PerioToothLabel {
  /** FDI tooth number (two digits). */
  tooth: number;
  /** Landmarks [x, y] in pixels of the generated image, on the tooth's long axis. */
  cej: [number, number];
  crest: [number, number];
  apex: [number, number];
  /** Tooth outline [x, y, width, height] from the occlusal surface to the apex. */
  box: [number, number, number, number];
  boneLossPct: number;
  stage: PerioStage;
}

export interface SynthPerio {
  image: Image;
  side: "R" | "L";
  teeth: PerioToothLabel[];
  pixelSpacingMm: number;
}

export interface SynthPerioOptions {
  side?: "R" | "L";
  /** Force every tooth's bone loss (fraction of root length, 0..0.7); otherwise drawn per tooth. */
  loss?: number;
  /** Extra noise (standard deviation in display units) on top of the generator's own. */
  noise?: number;
}

export const PERIO_IMAGE = { width: 512, height: 384 } as const;

/** Smooth random texture in [-1, 1]: a coarse random grid, bilinearly upsampled. */
function smoothNoise(rand: () => number, w: number, h: number, cell: number): Float32Array {
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
 * Bone loss per tooth: a third of teeth healthy-ish (0-12%), the rest spread over 0-70%, with a
 * shared patient level so neighbouring teeth are alike (as in generalised periodontitis).
 */
function drawLosses(rand: () => number, n: number): number[] {
  const patient = rand() * PERIO_MAX_LOSS;
  return Array.from({ length: n }, () => {
    const r = rand();
    const v = r < 0.3 ? rand() * 0.12 : r < 0.6 ? patient + (rand() - 0.5) * 0.2 : rand() * PERIO_MAX_LOSS;
    return Math.min(PERIO_MAX_LOSS, Math.max(0, v));
  });
}

interface DrawnTooth {
  label: PerioToothLabel;
  cx: number;
  half: number;
  /** y of the occlusal surface; dir is +1 into the jaw for the lower arch, -1 for the upper. */
  y0: number;
  dir: 1 | -1;
  crown: number;
  root: number;
  /** Distance from the occlusal surface to the crest, along dir. */
  crestDepth: number;
  roots: number[];
}

export function generatePerio(seed: number, opts: SynthPerioOptions = {}): SynthPerio {
  const rand = mulberry32(seed ^ 0x2f6b1a3d);
  const { width: W, height: H } = PERIO_IMAGE;
  const side = opts.side ?? (rand() < 0.5 ? "R" : "L");
  const occlusal = H * (0.5 + (rand() - 0.5) * 0.03);
  const gap = H * (0.015 + rand() * 0.02);
  const bw = BIOLOGICAL_WIDTH_MM / PERIO_PIXEL_SPACING_MM;
  const units = [7, 6, 5, 4];
  // Drawn even when forced, so a forced loss changes nothing else about the image.
  const drawn = drawLosses(rand, 8);
  const losses = opts.loss !== undefined ? drawn.map(() => opts.loss!) : drawn;
  const teeth: DrawnTooth[] = [];
  for (const [arch, dir] of [
    ["upper", -1],
    ["lower", 1],
  ] as const) {
    let x = W * (0.04 + rand() * 0.04);
    units.forEach((u, i) => {
      const w = (u >= 6 ? 0.235 : 0.185) * W * (0.93 + rand() * 0.1);
      const quadrant = side === "R" ? (arch === "upper" ? 1 : 4) : arch === "upper" ? 2 : 3;
      const cxCanon = x + w / 2;
      const cx = side === "R" ? cxCanon : W - cxCanon;
      const half = w / 2 - W * 0.008;
      const crown = H * (0.12 + rand() * 0.02);
      const root = H * (0.25 + rand() * 0.04);
      const loss = losses[(arch === "upper" ? 0 : 4) + i]!;
      const y0 = occlusal + (dir * gap) / 2;
      const crestDepth = crown + bw + loss * root;
      const at = (t: number) => y0 + dir * t;
      const pct = Math.round(loss * 1000) / 10;
      teeth.push({
        label: {
          tooth: quadrant * 10 + u,
          cej: [cx, at(crown)],
          crest: [cx, at(crestDepth)],
          apex: [cx, at(crown + root)],
          box: [cx - half, Math.min(y0, at(crown + root)), 2 * half, crown + root],
          boneLossPct: pct,
          stage: perioStage(pct),
        },
        cx,
        half,
        y0,
        dir,
        crown,
        root,
        crestDepth,
        roots: u >= 6 ? [cx - half * 0.48, cx + half * 0.48] : [cx],
      });
      x += w;
    });
  }

  const trabecular = smoothNoise(rand, W, H, 5);
  const soft = smoothNoise(rand, W, H, 40);
  const boneLevel = 0.3 + rand() * 0.1;
  const ramp = H * 0.012;
  const upper = teeth.filter((t) => t.dir === -1);
  const lower = teeth.filter((t) => t.dir === 1);
  // Per column, the crest depth of the nearest tooth in each arch (a level crest per tooth).
  const crestAt = (arch: DrawnTooth[], x: number) => {
    let best = arch[0]!;
    for (const t of arch) if (Math.abs(x - t.cx) < Math.abs(x - best.cx)) best = t;
    return { depth: best.crestDepth, y0: best.y0 };
  };
  const data = new Float32Array(W * H);
  for (let x = 0; x < W; x++) {
    const up = crestAt(upper, x);
    const lo = crestAt(lower, x);
    for (let y = 0; y < H; y++) {
      const i = y * W + x;
      let v = 0.1 + 0.04 * soft[i]!;
      const t = y < occlusal ? up.y0 - y : y - lo.y0;
      const depth = y < occlusal ? up.depth : lo.depth;
      if (t > depth) v += Math.min(1, (t - depth) / ramp) * (boneLevel + 0.08 * trabecular[i]!);
      data[i] = v;
    }
  }

  for (const tooth of teeth) drawTooth(data, W, H, tooth, trabecular);

  const gain = 0.85 + rand() * 0.3;
  for (let i = 0; i < data.length; i++) data[i]! *= gain;
  let image: Image = { width: W, height: H, data };
  image = gaussianBlur(image, 0.6 + rand() * 0.7);
  image = addNoise(image, 0.008 + rand() * 0.018 + (opts.noise ?? 0), seed ^ 0x1b873593);
  return { image, side, teeth: teeth.map((t) => t.label), pixelSpacingMm: PERIO_PIXEL_SPACING_MM };
}

/** Crown (enamel cap ending at the CEJ, dentin, pulp) and tapering roots with their canals. */
function drawTooth(data: Float32Array, W: number, H: number, tooth: DrawnTooth, tex: Float32Array) {
  const total = tooth.crown + tooth.root;
  const enamel = tooth.crown * 0.2;
  const corner = tooth.half * 0.3;
  for (let y = 0; y < H; y++) {
    const t = (y - tooth.y0) * tooth.dir;
    if (t < 0 || t > total) continue;
    for (
      let x = Math.max(0, Math.floor(tooth.cx - tooth.half));
      x <= Math.min(W - 1, tooth.cx + tooth.half);
      x++
    ) {
      const dx = Math.abs(x - tooth.cx);
      const i = y * W + x;
      let value = 0;
      if (t <= tooth.crown) {
        let half = tooth.half;
        if (t < corner) half -= corner - Math.sqrt(corner * corner - (corner - t) ** 2);
        // The crown narrows toward the cervical line, where the enamel thins to nothing (the CEJ).
        if (t > tooth.crown * 0.7) half *= 1 - 0.3 * ((t - tooth.crown * 0.7) / (tooth.crown * 0.3));
        if (dx > half) continue;
        const sideEnamel = enamel * 0.8 * (1 - t / tooth.crown);
        const inEnamel = t < enamel || half - dx < sideEnamel;
        const pulp = t > tooth.crown * 0.5 && dx < tooth.half * 0.25;
        value = inEnamel ? 0.78 : pulp ? 0.3 : 0.54;
      } else {
        const s = (t - tooth.crown) / tooth.root;
        for (const rx of tooth.roots) {
          const half = tooth.half * (tooth.roots.length > 1 ? 0.3 : 0.62) * (1 - 0.7 * s);
          const d = Math.abs(x - rx);
          if (d <= half) value = d < Math.max(1.2, half * 0.2) ? 0.3 : 0.52;
        }
        if (value === 0) continue;
      }
      data[i] = Math.max(data[i]!, value + 0.04 * tex[i]!);
    }
  }
}
