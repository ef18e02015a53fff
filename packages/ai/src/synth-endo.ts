// Synthetic posterior periapical radiographs for the endodontic module: one to three neighbouring
// premolars/molars (FDI units 4-7) of one arch, drawn whole: crown (enamel, dentin, pulp chamber),
// roots with their canals, the periodontal ligament (PDL) space as a dark line around each root,
// the lamina dura as a bright line outside it, trabecular bone and film noise. Some root apices
// carry a periapical radiolucency: bone replaced by soft tissue in an ellipse around the apex,
// the lamina dura lost inside it. A layered drawing, not a physical simulation, and a pure
// function of its seed.
//
// Scale: ENDO_PIXEL_SPACING_MM per pixel (a 320x416 image spans 32x41.6 mm, a size-2 film).
// Drawn in the canonical layout (lower arch, crowns up, right side: distal to the left, units
// 7→4 from left to right); upper-arch views are then flipped top to bottom and left-side views
// left to right, labels with them.
//
// Severity is a PAI-like 1-5 score by the radiolucency's largest diameter D (documented here, not
// Ørstavik's visual reference scale): 1 intact apical PDL and lamina dura (no radiolucency);
// 2 D < 1.5 mm (a widened apical PDL space); 3 1.5 ≤ D < 3 mm; 4 3 ≤ D < 5 mm; 5 D ≥ 5 mm.
// A tooth is lesion-positive (apical periodontitis) at score ≥ 3, the usual epidemiological cut.
import type { Image } from "./study.ts";
import { mulberry32 } from "./synth.ts";
import { finishFilm, smoothTexture, trabecularTexture } from "./synth-radiograph.ts";

export const ENDO_PIXEL_SPACING_MM = 0.1;
export const ENDO_IMAGE = { width: 320, height: 416 } as const;
/** Smallest radiolucency diameter (mm) that counts as a lesion (score 3). */
export const ENDO_LESION_MIN_MM = 1.5;
export const ENDO_MAX_LESION_MM = 8;
export const ENDO_UNITS = [4, 5, 6, 7] as const;

/** The PAI-like score of a radiolucency of largest diameter `mm` (0 = none drawn). */
export function endoScore(mm: number): 1 | 2 | 3 | 4 | 5 {
  if (mm <= 0) return 1;
  if (mm < ENDO_LESION_MIN_MM) return 2;
  if (mm < 3) return 3;
  if (mm < 5) return 4;
  return 5;
}

export type EndoBox = [number, number, number, number];

export interface EndoLesionLabel {
  /** [x, y, width, height] in pixels of the generated image. */
  box: EndoBox;
  /** The same box in mm from the image's top-left corner. */
  boxMm: EndoBox;
  /** Largest diameter of the drawn radiolucency, mm. */
  diameterMm: number;
}

export interface EndoToothLabel {
  /** FDI tooth number (two digits). */
  tooth: number;
  /** Tooth outline [x, y, w, h] from the occlusal surface to the deepest apex. */
  box: EndoBox;
  /** Root apices [x, y] in pixels. */
  apices: [number, number][];
  /** The drawn radiolucency at an apex (score 2 included), or null. */
  lesion: EndoLesionLabel | null;
  /** PAI-like score 1-5 (see the file's header). */
  score: 1 | 2 | 3 | 4 | 5;
  /** Lesion-positive: score ≥ 3. */
  positive: boolean;
  rootFilled: boolean;
}

export interface SynthEndo {
  image: Image;
  side: "R" | "L";
  arch: "upper" | "lower";
  teeth: EndoToothLabel[];
  pixelSpacingMm: number;
}

export interface SynthEndoOptions {
  side?: "R" | "L";
  arch?: "upper" | "lower";
  /** Force a radiolucency of this diameter (mm; 0 = none) at every tooth; otherwise drawn per tooth. */
  lesionMm?: number;
  /** Extra noise (standard deviation in display units) on top of the generator's own. */
  noise?: number;
}

interface Root {
  /** Centre x at the CEJ and at the apex, half-widths there; the root ends in a round cap. */
  x0: number;
  x1: number;
  hw0: number;
  hw1: number;
  /** Canal offsets from the root's centre line, as fractions of its half-width. */
  canals: number[];
}

interface DrawnTooth {
  unit: number;
  cx: number;
  width: number;
  y0: number;
  cej: number;
  /** y where the round apical cap starts (apex = capY + hw1). */
  capY: number;
  roots: Root[];
  lesion: {
    cx: number;
    cy: number;
    rx: number;
    ry: number;
    edge: number;
    strength: number;
    rim: number;
  } | null;
  restoration: number;
  rootFilled: boolean;
}

// Mean size per unit (mm): crown width, crown height, root length.
const TOOTH_MM: Record<number, { width: number; crown: number; root: number }> = {
  4: { width: 7.0, crown: 8.0, root: 14.0 },
  5: { width: 7.2, crown: 7.8, root: 14.5 },
  6: { width: 10.5, crown: 7.5, root: 13.0 },
  7: { width: 9.8, crown: 7.2, root: 12.5 },
};

/**
 * Roots by unit, so that a single tooth can be numbered from its shape: 4 one root with two
 * canals, 5 one root and canal, 6 two divergent roots, 7 two roots converging toward the apex.
 */
function rootsOf(unit: number, cx: number, w: number): Root[] {
  if (unit === 4) return [{ x0: cx, x1: cx, hw0: 0.29 * w, hw1: 0.08 * w, canals: [-0.38, 0.38] }];
  if (unit === 5) return [{ x0: cx, x1: cx, hw0: 0.28 * w, hw1: 0.07 * w, canals: [0] }];
  const apexOffset = unit === 6 ? 0.34 * w : 0.13 * w;
  return [-1, 1].map((s) => ({
    x0: cx + s * 0.26 * w,
    x1: cx + s * apexOffset,
    hw0: 0.18 * w,
    hw1: 0.05 * w,
    canals: [0],
  }));
}

/** Signed horizontal distance (pixels) from a root's outline, negative inside, and the centre x there. */
function rootDistance(t: DrawnTooth, r: Root, x: number, y: number): { d: number; xc: number; hw: number } {
  if (y <= t.capY) {
    const s = Math.max(0, (y - t.cej) / (t.capY - t.cej));
    const xc = r.x0 + (r.x1 - r.x0) * s;
    const hw = r.hw0 + (r.hw1 - r.hw0) * s;
    return { d: Math.abs(x - xc) - hw, xc, hw };
  }
  return { d: Math.hypot(x - r.x1, y - t.capY) - r.hw1, xc: r.x1, hw: r.hw1 };
}

/** Per tooth: none (50%), a widened apical PDL (10%, score 2) or a lesion of 1.5-8 mm (40%). */
function drawDiameterMm(rand: () => number): number {
  const r = rand();
  if (r < 0.5) return 0;
  if (r < 0.6) return 0.6 + rand() * 0.8;
  return ENDO_LESION_MIN_MM + rand() * (ENDO_MAX_LESION_MM - ENDO_LESION_MIN_MM);
}

export function generateEndo(seed: number, opts: SynthEndoOptions = {}): SynthEndo {
  const { painted: _, ...view } = renderPeriapical(seed ^ 0x5e1d0a77, seed ^ 0x27d4eb2f, opts);
  return view;
}

/** Where the teeth and the bone are in the canonical layout, for a painter to place its change. */
export interface PeriapicalGeometry {
  width: number;
  height: number;
  /** Per tooth: centre x, crown width, occlusal y, CEJ y and deepest apex y. */
  teeth: { cx: number; width: number; y0: number; cej: number; apexY: number }[];
  /** y below which every column is bone (the lowest alveolar crest). */
  boneTop: number;
}

/** A change to the jaw bone painted into the scene by another generator (the oral-pathology one). */
export interface BonePainter {
  /** The new bone value at (x, y) of the canonical layout; `soft` is the soft-tissue texture there. */
  paint(x: number, y: number, bone: number, soft: number): number;
  /** How much of the lamina dura is lost at (x, y), 0..1. */
  erodes(x: number, y: number): number;
  /** The painted region [x, y, w, h] in the canonical layout, or null when nothing was painted. */
  box: EndoBox | null;
}

/**
 * The periapical scene of one random stream (`randSeed`) and noise seed, with an optional painter
 * changing the bone before the PDL, lamina dura and teeth are drawn. `painted` is the painter's
 * box moved with the view's flips.
 */
export function renderPeriapical(
  randSeed: number,
  noiseSeed: number,
  opts: SynthEndoOptions = {},
  painter?: (geometry: PeriapicalGeometry) => BonePainter,
): SynthEndo & { painted: EndoBox | null } {
  const rand = mulberry32(randSeed);
  const { width: W, height: H } = ENDO_IMAGE;
  const px = 1 / ENDO_PIXEL_SPACING_MM;
  const side = opts.side ?? (rand() < 0.5 ? "R" : "L");
  const arch = opts.arch ?? (rand() < 0.5 ? "upper" : "lower");
  const r = rand();
  const count = r < 0.25 ? 1 : r < 0.6 ? 2 : 3;
  const start = Math.floor(rand() * (5 - count));
  // Distal to mesial, left to right in the canonical layout.
  const units = [7, 6, 5, 4].slice(start, start + count);
  const gap = 0.4 * px;
  const sizes = units.map((u) => {
    const m = TOOTH_MM[u]!;
    const k = 0.94 + rand() * 0.12;
    return { width: m.width * px * k, crown: m.crown * px * k, root: m.root * px * (0.94 + rand() * 0.12) };
  });
  const total = sizes.reduce((a, s) => a + s.width, 0) + gap * (count - 1);
  const free = W - total - 8;
  let x = 4 + free / 2 + (rand() - 0.5) * free * 0.6;
  const occlusal = 40 + rand() * 30;
  const teeth: DrawnTooth[] = units.map((unit, i) => {
    const s = sizes[i]!;
    const cx = x + s.width / 2;
    x += s.width + gap;
    const y0 = occlusal + (rand() - 0.5) * 6;
    const cej = y0 + s.crown;
    const roots = rootsOf(unit, cx, s.width);
    const capY = cej + s.root - roots[0]!.hw1;
    const drawn = drawDiameterMm(rand);
    const diameter = opts.lesionMm ?? drawn;
    const root = roots[Math.floor(rand() * roots.length)]!;
    const apexY = capY + root.hw1;
    const rx = (diameter / 2) * px * (0.9 + rand() * 0.2);
    const ry = (diameter / 2) * px * (0.85 + rand() * 0.2);
    const well = rand() < 0.6;
    const lesion =
      diameter > 0
        ? {
            cx: root.x1 + (rand() - 0.5) * rx * 0.3,
            // Centred just past the apex: the radiolucency surrounds it and extends beyond.
            cy: apexY + ry * (0.15 + rand() * 0.25),
            rx,
            ry,
            edge: well ? 0.12 : 0.35,
            strength: 0.7 + rand() * 0.25,
            rim: well && rand() < 0.4 ? 0.05 + rand() * 0.04 : 0,
          }
        : null;
    return {
      unit,
      cx,
      width: s.width,
      y0,
      cej,
      capY,
      roots,
      lesion,
      restoration: rand() < 0.3 ? 0.3 + rand() * 0.4 : 0,
      rootFilled: rand() < 0.25,
    };
  });

  const soft = smoothTexture(rand, W, H, 40);
  const trabecular = trabecularTexture(rand, W, H);
  const boneLevel = 0.32 + rand() * 0.1;
  const crestDrop = (1.2 + rand() * 0.6) * px;
  const pdl = 2 + rand();
  const laminaDura = 2 + rand();
  const data = new Float32Array(W * H);
  const paint = painter?.({
    width: W,
    height: H,
    teeth: teeth.map((t) => ({
      cx: t.cx,
      width: t.width,
      y0: t.y0,
      cej: t.cej,
      apexY: Math.max(...t.roots.map((r) => t.capY + r.hw1)),
    })),
    boneTop: Math.max(...teeth.map((t) => t.cej)) + crestDrop + 6,
  });
  for (let y = 0; y < H; y++)
    for (let xx = 0; xx < W; xx++) {
      let nearest = teeth[0]!;
      for (const t of teeth) if (Math.abs(xx - t.cx) < Math.abs(xx - nearest.cx)) nearest = t;
      const i = y * W + xx;
      const background = 0.1 + 0.04 * soft[i]!;
      const crest = nearest.cej + crestDrop;
      if (y <= crest) {
        data[i] = background;
        continue;
      }
      let bone = background + Math.min(1, (y - crest) / 6) * (boneLevel + 0.12 * trabecular[i]!);
      // The radiolucency: bone replaced by soft tissue, softly or sharply edged.
      let inLesion = 0;
      for (const t of teeth) {
        const l = t.lesion;
        if (!l) continue;
        const rr = Math.hypot((xx - l.cx) / l.rx, (y - l.cy) / l.ry);
        const m = Math.min(1, Math.max(0, (1 - rr) / l.edge));
        if (m > 0) {
          bone = bone * (1 - l.strength * m) + (0.14 + 0.03 * soft[i]!) * l.strength * m;
          inLesion = Math.max(inLesion, m);
        } else if (l.rim > 0 && rr < 1.18) bone += l.rim;
      }
      if (paint) {
        bone = paint.paint(xx, y, bone, soft[i]!);
        inLesion = Math.max(inLesion, paint.erodes(xx, y));
      }
      // PDL space (dark) and lamina dura (bright) around every root; the lamina dura is lost in a lesion.
      for (const t of teeth)
        for (const root of t.roots) {
          const { d } = rootDistance(t, root, xx, y);
          if (d < 0 || d >= pdl + laminaDura) continue;
          if (d < pdl) bone = Math.min(bone, 0.16 + 0.03 * soft[i]!);
          else if (inLesion < 0.3) bone += 0.12 * (1 - inLesion / 0.3);
        }
      data[i] = bone;
    }
  for (const t of teeth) drawTooth(data, W, H, t, trabecular);

  let image = finishFilm(data, W, H, rand, noiseSeed, opts.noise ?? 0);
  const labels = teeth.map((t) => toothLabel(t, side, arch));
  let painted = paint?.box ?? null;
  if (arch === "upper") {
    image = flipImage(image, false, true);
    for (const l of labels) flipLabel(l, W, H, false, true);
    if (painted) painted = flipBox(painted, W, H, false, true);
  }
  if (side === "L") {
    image = flipImage(image, true, false);
    for (const l of labels) flipLabel(l, W, H, true, false);
    if (painted) painted = flipBox(painted, W, H, true, false);
  }
  labels.sort((a, b) => a.tooth - b.tooth);
  return { image, side, arch, teeth: labels, pixelSpacingMm: ENDO_PIXEL_SPACING_MM, painted };
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function toothLabel(t: DrawnTooth, side: "R" | "L", arch: "upper" | "lower"): EndoToothLabel {
  const quadrant = side === "R" ? (arch === "upper" ? 1 : 4) : arch === "upper" ? 2 : 3;
  const apices = t.roots.map((r): [number, number] => [r2(r.x1), r2(t.capY + r.hw1)]);
  const deepest = Math.max(...apices.map((a) => a[1]));
  const half = t.width / 2;
  let lesion: EndoLesionLabel | null = null;
  if (t.lesion) {
    const { cx, cy, rx, ry } = t.lesion;
    const x0 = Math.max(0, cx - rx);
    const y0 = Math.max(0, cy - ry);
    const x1 = Math.min(ENDO_IMAGE.width, cx + rx);
    const y1 = Math.min(ENDO_IMAGE.height, cy + ry);
    const box: EndoBox = [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)];
    lesion = {
      box,
      boxMm: box.map((v) => r2(v * ENDO_PIXEL_SPACING_MM)) as EndoBox,
      diameterMm: r2(2 * Math.max(rx, ry) * ENDO_PIXEL_SPACING_MM),
    };
  }
  const score = endoScore(lesion?.diameterMm ?? 0);
  return {
    tooth: quadrant * 10 + t.unit,
    box: [r2(t.cx - half), r2(t.y0), r2(t.width), r2(deepest - t.y0)],
    apices,
    lesion,
    score,
    positive: score >= 3,
    rootFilled: t.rootFilled,
  };
}

function flipImage(img: Image, horizontal: boolean, vertical: boolean): Image {
  const { width: w, height: h } = img;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      data[y * w + x] = img.data[(vertical ? h - 1 - y : y) * w + (horizontal ? w - 1 - x : x)]!;
  return { width: w, height: h, data };
}

function flipBox(b: EndoBox, w: number, h: number, horizontal: boolean, vertical: boolean): EndoBox {
  return [horizontal ? r2(w - b[0] - b[2]) : b[0], vertical ? r2(h - b[1] - b[3]) : b[1], b[2], b[3]];
}

function flipLabel(l: EndoToothLabel, w: number, h: number, horizontal: boolean, vertical: boolean): void {
  l.box = flipBox(l.box, w, h, horizontal, vertical);
  l.apices = l.apices.map(([x, y]) => [horizontal ? r2(w - x) : x, vertical ? r2(h - y) : y]);
  if (l.lesion) {
    l.lesion.box = flipBox(l.lesion.box, w, h, horizontal, vertical);
    l.lesion.boxMm = l.lesion.box.map((v) => r2(v * ENDO_PIXEL_SPACING_MM)) as EndoBox;
  }
}

/** Crown (enamel cap, dentin, pulp chamber, an optional restoration) and roots with canals. */
function drawTooth(data: Float32Array, W: number, H: number, t: DrawnTooth, tex: Float32Array): void {
  const crown = t.cej - t.y0;
  const half = t.width / 2 - 1.5;
  const corner = half * 0.35;
  const enamel = crown * 0.22;
  const bottom = Math.min(H - 1, Math.ceil(Math.max(...t.roots.map((r) => t.capY + r.hw1))));
  for (let y = Math.max(0, Math.floor(t.y0)); y <= bottom; y++) {
    const depth = y - t.y0;
    if (depth < 0) continue;
    for (let x = Math.max(0, Math.floor(t.cx - half - 2)); x <= Math.min(W - 1, t.cx + half + 2); x++) {
      const dx = Math.abs(x - t.cx);
      let value = 0;
      if (y <= t.cej) {
        let h = half;
        if (depth < corner) h -= corner - Math.sqrt(corner * corner - (corner - depth) ** 2);
        if (depth > crown * 0.65) h *= 1 - 0.18 * ((depth - crown * 0.65) / (crown * 0.35));
        if (dx > h) continue;
        const sideEnamel = enamel * 0.7 * (1 - depth / crown);
        const inEnamel = depth < enamel || h - dx < sideEnamel;
        const pulp = depth > crown * 0.5 && dx < t.width * 0.22;
        const filled = t.restoration > 0 && depth < crown * t.restoration && dx < half * 0.55;
        value = filled ? 0.95 : inEnamel ? 0.8 : pulp ? (t.rootFilled ? 0.9 : 0.3) : 0.56;
      } else {
        for (const r of t.roots) {
          const { d, xc, hw } = rootDistance(t, r, x, y);
          if (d > 0) continue;
          const canalHalf = Math.max(1, hw * 0.13);
          const inCanal = y <= t.capY && r.canals.some((c) => Math.abs(x - (xc + c * hw)) < canalHalf);
          value = Math.max(value, inCanal ? (t.rootFilled ? 0.9 : 0.3) : 0.54);
        }
        if (value === 0) continue;
      }
      const i = y * W + x;
      data[i] = Math.max(data[i]!, value + 0.03 * tex[i]!);
    }
  }
}
