// Synthetic periapical views for oral-pathology screening: the endodontic generator's scene (teeth,
// PDL, lamina dura, trabecular bone, film finish; no periapical lesions) with at most one jaw lesion
// painted into the bone. Four classes, drawn to the textbook radiographic descriptions:
//   none
//   well-defined radiolucency  round/oval, sharp and corticated (a thin bright rim): cyst-like
//   radiopaque mass            dense, well defined, often a thin radiolucent halo
//   ill-defined radiolucency   ragged, moth-eaten margins and patchy destruction inside, the
//                              lamina dura lost: the pattern that warrants referral
// A pure function of its seed; a drawing, not a simulation of any disease.

import type { Image } from "./study.ts";
import { mulberry32 } from "./synth.ts";
import {
  ENDO_PIXEL_SPACING_MM,
  type EndoBox,
  type PeriapicalGeometry,
  renderPeriapical,
} from "./synth-endo.ts";
import { smoothTexture } from "./synth-radiograph.ts";

export const ORAL_PATH_CLASSES = [
  "none",
  "well-defined radiolucency",
  "radiopaque mass",
  "ill-defined radiolucency",
] as const;
export type OralPathClass = (typeof ORAL_PATH_CLASSES)[number];
/** The class a screening refers on (ill-defined, moth-eaten bone destruction). */
export const ORAL_PATH_REFER_CLASS: OralPathClass = "ill-defined radiolucency";

export interface OralPathLesion {
  /** [x, y, w, h] in pixels of the generated image, and the same in mm. */
  box: EndoBox;
  boxMm: EndoBox;
  diameterMm: number;
}

export interface SynthOralPath {
  image: Image;
  side: "R" | "L";
  arch: "upper" | "lower";
  cls: OralPathClass;
  refer: boolean;
  lesion: OralPathLesion | null;
  pixelSpacingMm: number;
}

export interface SynthOralPathOptions {
  cls?: OralPathClass;
  side?: "R" | "L";
  arch?: "upper" | "lower";
  noise?: number;
}

/** none 40%, each lesion class 20%. */
function drawClass(rand: () => number): OralPathClass {
  const r = rand();
  return r < 0.4
    ? "none"
    : r < 0.6
      ? ORAL_PATH_CLASSES[1]
      : r < 0.8
        ? ORAL_PATH_CLASSES[2]
        : ORAL_PATH_CLASSES[3];
}

const r2 = (v: number) => Math.round(v * 100) / 100;

export function generateOralPath(seed: number, opts: SynthOralPathOptions = {}): SynthOralPath {
  const rand = mulberry32(seed ^ 0x0a1b2c3d);
  const drawn = drawClass(rand);
  const cls = opts.cls ?? drawn;
  const filmNoise = rand() * 0.03;
  let diameterMm = 0;
  const view = renderPeriapical(
    seed ^ 0x6c0ffee1,
    seed ^ 0x3c6ef372,
    {
      lesionMm: 0,
      ...(opts.side ? { side: opts.side } : {}),
      ...(opts.arch ? { arch: opts.arch } : {}),
      // Films vary from clean to noisy, so subtle lesions can drown.
      noise: filmNoise + (opts.noise ?? 0),
    },
    (g) => {
      const painter = lesionPainter(cls, g, rand);
      diameterMm = painter.diameterMm;
      return painter;
    },
  );
  const box = view.painted;
  return {
    image: view.image,
    side: view.side,
    arch: view.arch,
    cls,
    refer: cls === ORAL_PATH_REFER_CLASS,
    lesion: box
      ? { box, boxMm: box.map((v) => r2(v * ENDO_PIXEL_SPACING_MM)) as EndoBox, diameterMm: r2(diameterMm) }
      : null,
    pixelSpacingMm: ENDO_PIXEL_SPACING_MM,
  };
}

function lesionPainter(cls: OralPathClass, g: PeriapicalGeometry, rand: () => number) {
  const px = 1 / ENDO_PIXEL_SPACING_MM;
  const [lo, hi] =
    cls === "well-defined radiolucency" ? [4, 12] : cls === "radiopaque mass" ? [3, 8] : [5, 14];
  const d = (lo + rand() * (hi - lo)) * px;
  const rx = (d / 2) * (0.85 + rand() * 0.15);
  const ry = (d / 2) * (0.75 + rand() * 0.25);
  // Anywhere in the bone below the crest, inside the film.
  const cx = rx + 6 + rand() * Math.max(1, g.width - 2 * rx - 12);
  const top = Math.min(g.boneTop + ry * 0.6, g.height - ry - 6);
  const cy = top + rand() * Math.max(1, g.height - ry - 6 - top);
  // Contrast varies from obvious to subtle: not every cyst is corticated, not every mass dense.
  const rim = rand() < 0.6 ? 0.03 + rand() * 0.07 : 0;
  const halo = rand() < 0.5 ? 0.05 + rand() * 0.06 : 0;
  const strength = 0.45 + rand() * 0.45;
  const density = 0.12 + rand() * 0.3;
  const edge = 0.06 + rand() * 0.1;
  // Moth-eaten destruction: a ragged outline (radius modulated by angle) and patchy holes inside.
  const wobble = Array.from({ length: 5 }, () => [rand() * 0.25, rand() * Math.PI * 2] as const);
  const patches = cls === "ill-defined radiolucency" ? smoothTexture(rand, g.width, g.height, 7) : undefined;
  const radius = (x: number, y: number) => {
    const rr = Math.hypot((x - cx) / rx, (y - cy) / ry);
    if (!patches) return rr;
    const angle = Math.atan2(y - cy, x - cx);
    let k = 1;
    wobble.forEach(([amp, phase], i) => {
      k += amp * Math.sin((i + 2) * angle + phase);
    });
    return rr / Math.max(0.4, k);
  };
  const clamp01 = (v: number) => Math.min(1, Math.max(0, v));
  const none = cls === "none";
  return {
    diameterMm: none ? 0 : 2 * Math.max(rx, ry) * ENDO_PIXEL_SPACING_MM,
    box: none
      ? null
      : ((): EndoBox => {
          const x0 = Math.max(0, cx - rx * (patches ? 1.3 : 1));
          const y0 = Math.max(0, cy - ry * (patches ? 1.3 : 1));
          const x1 = Math.min(g.width, cx + rx * (patches ? 1.3 : 1));
          const y1 = Math.min(g.height, cy + ry * (patches ? 1.3 : 1));
          return [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)];
        })(),
    paint(x: number, y: number, bone: number, soft: number): number {
      if (none) return bone;
      const rr = radius(x, y);
      if (cls === "well-defined radiolucency") {
        if (rr < 1) {
          const m = clamp01((1 - rr) / edge) * strength;
          return bone * (1 - m) + (0.13 + 0.03 * soft) * m;
        }
        return rim > 0 && rr < 1.07 ? bone + rim : bone;
      }
      if (cls === "radiopaque mass") {
        if (rr < 1) return bone + density * clamp01((1 - rr) / (edge + 0.06));
        return halo > 0 && rr < 1.14 ? bone - halo : bone;
      }
      // Ill-defined: a wide, ragged transition and holes where the patch texture is high.
      const m = clamp01((1.15 - rr) / 0.45);
      const hole = clamp01((patches![y * g.width + x]! + 0.35) * 1.6);
      const loss = (strength + 0.1) * m * (0.35 + 0.65 * hole);
      return bone * (1 - loss) + (0.13 + 0.03 * soft) * loss;
    },
    erodes(x: number, y: number): number {
      if (cls !== "ill-defined radiolucency" && cls !== "well-defined radiolucency") return 0;
      return radius(x, y) < 1 ? 1 : 0;
    },
  };
}
