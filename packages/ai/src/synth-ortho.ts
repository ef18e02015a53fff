// Synthetic lateral cephalometric radiographs for orthodontic landmarking: a profile facing right
// with the cranial base (sella turcica, planum to nasion), frontal bone, orbit, ear rod, maxilla
// with the palate, mandible with the symphysis and ramus, incisors and posterior teeth, cervical
// vertebrae and the soft-tissue profile. Like the other generators it is a layered drawing (each
// layer adds attenuation), not a physical simulation, and a pure function of its seed.
//
// The skull is built in a head frame (millimetres, S at the origin, x anterior, y up, Frankfort
// horizontal level) from drawn angles, so the labels follow from the geometry rather than being
// read off the picture:  N at SN length and SN–FH angle;  A on the ray from N at SNA from N→S;
// B at SNB = SNA − ANB, with ANB drawn by skeletal class. The head is then scaled, tilted and
// moved in the field of view, so positions vary per seed while the angles stay as drawn.
import { resize } from "./normalise.ts";
import type { Image } from "./study.ts";
import { addNoise, gaussianBlur, mulberry32 } from "./synth.ts";

/** 512 px at 0.4 mm: a 205 mm square field, about a real cephalogram's at a quarter of its resolution. */
export const ORTHO_PIXEL_SPACING_MM = 0.4;
export const ORTHO_IMAGE = { width: 512, height: 512 } as const;

/** The labelled landmarks, in the model's output order. */
export const ORTHO_LANDMARKS = [
  "S",
  "N",
  "Or",
  "Po",
  "ANS",
  "PNS",
  "A",
  "B",
  "Pog",
  "Me",
  "Go",
  "U1",
  "L1",
] as const;
export type OrthoLandmark = (typeof ORTHO_LANDMARKS)[number];

export const ORTHO_LANDMARK_NAMES: Record<OrthoLandmark, string> = {
  S: "Sella (centre of the sella turcica)",
  N: "Nasion (frontonasal suture, most anterior)",
  Or: "Orbitale (lowest point of the orbital rim)",
  Po: "Porion (machine: top of the ear rod)",
  ANS: "Anterior nasal spine (tip)",
  PNS: "Posterior nasal spine (tip)",
  A: "A point (subspinale, deepest point of the anterior maxilla)",
  B: "B point (supramentale, deepest point of the anterior mandible)",
  Pog: "Pogonion (most anterior point of the chin)",
  Me: "Menton (lowest point of the symphysis)",
  Go: "Gonion (angle of the mandible)",
  U1: "Upper incisor incisal tip",
  L1: "Lower incisor incisal tip",
};

/**
 * Skeletal class by ANB (degrees), the common Steiner-derived cut-offs:
 * ANB < 0 → Class III, 0 ≤ ANB ≤ 4 → Class I, ANB > 4 → Class II.
 */
export const ANB_CLASS_I_MIN_DEG = 0;
export const ANB_CLASS_I_MAX_DEG = 4;
export const SKELETAL_CLASSES = ["I", "II", "III"] as const;
export type SkeletalClass = (typeof SKELETAL_CLASSES)[number];

export function skeletalClass(anbDeg: number): SkeletalClass {
  if (anbDeg < ANB_CLASS_I_MIN_DEG) return "III";
  if (anbDeg <= ANB_CLASS_I_MAX_DEG) return "I";
  return "II";
}

export type Point = [number, number];

export interface SynthOrtho {
  image: Image;
  /** Landmarks [x, y] in pixels of the generated image (x anterior, y down). */
  landmarks: Record<OrthoLandmark, Point>;
  /** The angles the skull was built with (degrees). */
  sna: number;
  snb: number;
  anb: number;
  skeletalClass: SkeletalClass;
  pixelSpacingMm: number;
}

export interface SynthOrthoOptions {
  /** Force the skeletal class (ANB is then drawn within its range). */
  skeletalClass?: SkeletalClass;
  /** Force ANB in degrees (overrides skeletalClass). */
  anb?: number;
  /** Extra noise (standard deviation in display units) on top of the generator's own. */
  noise?: number;
}

/** Angle at `vertex` from ray vertex→a to ray vertex→b, degrees in [0, 180], in any frame. */
export function angleAt(vertex: Point, a: Point, b: Point): number {
  const ax = a[0] - vertex[0];
  const ay = a[1] - vertex[1];
  const bx = b[0] - vertex[0];
  const by = b[1] - vertex[1];
  return (Math.atan2(Math.abs(ax * by - ay * bx), ax * bx + ay * by) * 180) / Math.PI;
}

/**
 * SNA, SNB and ANB (degrees) from landmarks in millimetres. ANB is signed: negative when B lies
 * ahead of A as seen from N (the mandible ahead of the maxilla). The sign comes from the side of
 * the N→A ray B falls on, relative to the side S falls on, so it holds in either image handedness.
 */
export function cephalometricAngles(mm: Pick<Record<OrthoLandmark, Point>, "S" | "N" | "A" | "B">): {
  sna: number;
  snb: number;
  anb: number;
} {
  const { S, N, A, B } = mm;
  const sna = angleAt(N, S, A);
  const snb = angleAt(N, S, B);
  const cross = (p: Point) => (A[0] - N[0]) * (p[1] - N[1]) - (A[1] - N[1]) * (p[0] - N[0]);
  // B on S's side of N→A means B is behind A: SNB < SNA, ANB positive.
  const sameSide = Math.sign(cross(B)) === Math.sign(cross(S)) || cross(B) === 0;
  const anb = (sameSide ? 1 : -1) * angleAt(N, A, B);
  return { sna, snb, anb };
}

// ---- drawing primitives (image pixels, y down) ----

/** A closed or open Catmull-Rom curve through the points, `per` samples per segment. */
function curve(points: readonly Point[], closed: boolean, per = 10): Point[] {
  const n = points.length;
  const at = (i: number) => points[closed ? (i + n) % n : Math.max(0, Math.min(n - 1, i))]!;
  const out: Point[] = [];
  const segments = closed ? n : n - 1;
  for (let i = 0; i < segments; i++) {
    const [p0, p1, p2, p3] = [at(i - 1), at(i), at(i + 1), at(i + 2)];
    for (let k = 0; k < per; k++) {
      const t = k / per;
      const t2 = t * t;
      const t3 = t2 * t;
      const c = (a: number, b: number, c2: number, d: number) =>
        0.5 * (2 * b + (-a + c2) * t + (2 * a - 5 * b + 4 * c2 - d) * t2 + (-a + 3 * b - 3 * c2 + d) * t3);
      out.push([c(p0[0], p1[0], p2[0], p3[0]), c(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  if (!closed) out.push(points[n - 1]!);
  return out;
}

function ellipse(c: Point, rx: number, ry: number, n = 48, from = 0, to = 2 * Math.PI): Point[] {
  return Array.from({ length: n }, (_, i): Point => {
    const a = from + ((to - from) * i) / (to === 2 * Math.PI ? n : n - 1);
    return [c[0] + rx * Math.cos(a), c[1] + ry * Math.sin(a)];
  });
}

class Film {
  readonly data: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Float32Array(width * height);
  }

  /** Adds `value` (times the texture, if any) inside the polygon (even-odd scanline fill). */
  fill(poly: readonly Point[], value: number, tex?: Float32Array, texAmount = 0) {
    const { width: W, height: H } = this;
    const ys = poly.map((p) => p[1]);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(H - 1, Math.ceil(Math.max(...ys)));
    const xs: number[] = [];
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      xs.length = 0;
      for (let i = 0; i < poly.length; i++) {
        const [ax, ay] = poly[i]!;
        const [bx, by] = poly[(i + 1) % poly.length]!;
        if (ay <= cy !== by <= cy) xs.push(ax + ((cy - ay) / (by - ay)) * (bx - ax));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k]! - 0.5));
        const to = Math.min(W - 1, Math.floor(xs[k + 1]! - 0.5));
        for (let x = from; x <= to; x++) {
          const i = y * W + x;
          this.data[i]! += value * (tex ? 1 + texAmount * tex[i]! : 1);
        }
      }
    }
  }

  /** Adds `value` within `half` pixels of the polyline (each pixel once). */
  stroke(line: readonly Point[], half: number, value: number, closed = false) {
    const { width: W, height: H } = this;
    const mask = new Uint8Array(W * H);
    const segs = closed ? line.length : line.length - 1;
    for (let s = 0; s < segs; s++) {
      const [ax, ay] = line[s]!;
      const [bx, by] = line[(s + 1) % line.length]!;
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy || 1e-9;
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - half));
      const x1 = Math.min(W - 1, Math.ceil(Math.max(ax, bx) + half));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - half));
      const y1 = Math.min(H - 1, Math.ceil(Math.max(ay, by) + half));
      for (let y = y0; y <= y1; y++)
        for (let x = x0; x <= x1; x++) {
          const px = x + 0.5 - ax;
          const py = y + 0.5 - ay;
          const t = Math.max(0, Math.min(1, (px * dx + py * dy) / len2));
          if ((px - t * dx) ** 2 + (py - t * dy) ** 2 <= half * half) mask[y * W + x] = 1;
        }
    }
    for (let i = 0; i < mask.length; i++) if (mask[i]) this.data[i]! += value;
  }
}

/** Smooth random field in [-1, 1]: a coarse random grid, linearly upsampled. */
function field(rand: () => number, w: number, h: number, cell: number): Float32Array {
  const gw = Math.ceil(w / cell) + 1;
  const gh = Math.ceil(h / cell) + 1;
  const grid = Float32Array.from({ length: gw * gh }, () => rand() * 2 - 1);
  return resize({ width: gw, height: gh, data: grid }, w, h).data;
}

const uniform = (rand: () => number, lo: number, hi: number) => lo + (hi - lo) * rand();
const deg = (d: number) => (d * Math.PI) / 180;
const add = (p: Point, dx: number, dy: number): Point => [p[0] + dx, p[1] + dy];
const polar = (from: Point, length: number, angleDeg: number): Point => [
  from[0] + length * Math.cos(deg(angleDeg)),
  from[1] + length * Math.sin(deg(angleDeg)),
];

/** ANB for a class, uniform over its range (Class II up to 9°, Class III down to −6°). */
function drawAnb(rand: () => number, cls: SkeletalClass): number {
  if (cls === "III") return uniform(rand, -6, -0.05);
  if (cls === "I") return uniform(rand, 0, ANB_CLASS_I_MAX_DEG);
  return uniform(rand, 4.05, 9);
}

export function generateOrtho(seed: number, opts: SynthOrthoOptions = {}): SynthOrtho {
  const rand = mulberry32(seed ^ 0x6a09e667);
  const { width: W, height: H } = ORTHO_IMAGE;
  // Drawn even when forced, so forcing the class changes nothing else about the skull.
  const drawnClass = SKELETAL_CLASSES[Math.floor(rand() * 3)]!;
  const cls = opts.skeletalClass ?? drawnClass;
  const drawnAnb = drawAnb(rand, cls);
  const anb = opts.anb ?? drawnAnb;
  const sna = uniform(rand, 78, 86) + (cls === "III" ? -1 : cls === "II" ? 1 : 0);
  const snb = sna - anb;

  // ---- the skull in the head frame (mm, y up) ----
  const S: Point = [0, 0];
  const snFh = uniform(rand, 4, 10);
  const N = polar(S, uniform(rand, 64, 76), snFh);
  const Po: Point = [uniform(rand, -26, -18), uniform(rand, -24, -17)];
  const Or: Point = [N[0] - uniform(rand, 6, 12), Po[1] + uniform(rand, -1, 1)];
  // From N, S lies at 180° + SN–FH; rotating that ray by SNA (counter-clockwise, y up) reaches A.
  const A = polar(N, uniform(rand, 50, 58), 180 + snFh + sna);
  const B = polar(N, uniform(rand, 88, 102), 180 + snFh + snb);
  const ANS = add(A, uniform(rand, 3, 5.5), uniform(rand, 5.5, 8.5));
  const palatal = uniform(rand, -3, 3);
  const PNS = polar(ANS, uniform(rand, 46, 54), 180 + palatal);
  const Pr = add(A, uniform(rand, 1, 3), -uniform(rand, 8, 11));
  const u1Axis = -uniform(rand, 60, 74) + palatal; // apex→tip direction, below the horizontal
  const U1 = polar(Pr, uniform(rand, 9.5, 11.5), u1Axis);
  const U1apex = polar(U1, 23.5, u1Axis + 180);
  // Overjet follows the skeletal pattern (anterior crossbite in Class III), overbite varies.
  const overjet = 2.5 + 0.6 * (anb - 2) + uniform(rand, -1, 1);
  const L1 = add(U1, -overjet, uniform(rand, 0.5, 3.5));
  const L1apex = add(B, -uniform(rand, 5.5, 8.5), -uniform(rand, 8, 12));
  const l1Axis = Math.atan2(L1[1] - L1apex[1], L1[0] - L1apex[0]);
  const Id = [L1[0] - 9 * Math.cos(l1Axis), L1[1] - 9 * Math.sin(l1Axis)] as Point;
  const Pog = add(B, uniform(rand, 2.5, 5), -uniform(rand, 9, 13));
  const Me = add(Pog, -uniform(rand, 5, 8), -uniform(rand, 6, 9));
  const Gn: Point = [(Pog[0] + Me[0]) / 2 + 1.2, (Pog[1] + Me[1]) / 2 - 1.2];
  const fma = uniform(rand, 18, 34);
  const Go = polar(Me, uniform(rand, 66, 78), 180 - fma);
  const Co = add(Po, uniform(rand, 8, 12), -uniform(rand, 6, 10));

  // ---- into the image: scale, tilt, position; pixels, y down ----
  const scale = uniform(rand, 0.92, 1.06);
  const tilt = deg(uniform(rand, -5, 5));
  const origin: Point = [uniform(rand, 66, 84), uniform(rand, 62, 76)];
  const px = (p: Point): Point => {
    const x = p[0] * scale;
    const y = -p[1] * scale;
    return [
      (origin[0] + x * Math.cos(tilt) - y * Math.sin(tilt)) / ORTHO_PIXEL_SPACING_MM,
      (origin[1] + x * Math.sin(tilt) + y * Math.cos(tilt)) / ORTHO_PIXEL_SPACING_MM,
    ];
  };
  const mmToPx = scale / ORTHO_PIXEL_SPACING_MM;
  const P = (...pts: Point[]) => pts.map(px);

  const film = new Film(W, H);
  const bone = field(rand, W, H, 6);
  const soft = field(rand, W, H, 48);

  // Soft tissue: everything behind the profile (forehead, nose, lips, chin, neck).
  const profile = P(
    add(N, -16, 140),
    add(N, 0, 75),
    add(N, 5, 38),
    add(N, 6, 12),
    add(N, 6.5, 0),
    add(A, uniform(rand, 28, 36), uniform(rand, 14, 20)),
    add(A, uniform(rand, 12, 16), uniform(rand, 2, 5)),
    add(U1, uniform(rand, 12, 15), uniform(rand, 4, 7)),
    add(L1, uniform(rand, 12, 15), -uniform(rand, 4, 7)),
    add(B, uniform(rand, 10, 12), 0),
    add(Pog, uniform(rand, 10, 13), -1),
    add(Me, 1, -uniform(rand, 7, 9)),
    add(Me, -28, -uniform(rand, 16, 22)),
    add(Me, -34, -140),
  );
  film.fill([...curve(profile, false), [-W, 2 * H], [-W, -H]], 0.16, soft, 0.25);

  // Cranium: the vault's inner table and the frontal bone along the forehead.
  const vault = P(add(N, -2, 14), add(N, -5, 40), add(N, -20, 70), [-10, 96], [-70, 94], [-118, 40]);
  film.stroke(curve(vault, false), 5 * mmToPx, 0.2);
  film.fill(curve(P(add(N, -4, 6), add(N, -2, 24), add(N, -12, 22), add(N, -13, 8)), true), 0.08);
  film.stroke(
    curve(P(add(N, 1, 3), add(N, 0, -1), add(N, 4, -10), add(N, 9, -20)), false),
    1.3 * mmToPx,
    0.22,
  );
  // Anterior cranial base from the tuberculum sellae to the nasion, and the sphenoid body.
  film.stroke(
    curve(P(add(S, 6, 5), add(S, 24, 9), add(N, -28, 8), add(N, -6, 2), N), false),
    1.6 * mmToPx,
    0.18,
  );
  film.fill(
    curve(P(add(S, -8, -6), add(S, 10, -4), add(S, 16, -22), add(S, -12, -26)), true),
    0.1,
    bone,
    0.4,
  );
  // Sella turcica: the pituitary fossa (S its centre), the dorsum behind and the clinoid ahead.
  const r = uniform(rand, 4.5, 6);
  film.stroke(curve(P(...ellipse(S, r, r, 12, deg(160), deg(380))), false), 0.9 * mmToPx, 0.25);
  film.stroke(
    curve(P(polar(S, r, 160), add(S, -r - 1, r + 2), add(S, -r + 1, r + 4)), false),
    1.1 * mmToPx,
    0.22,
  );
  film.stroke(
    curve(P(polar(S, r, 20), add(S, r + 1, r + 1.5), add(S, r - 2, r + 2)), false),
    1 * mmToPx,
    0.2,
  );
  // Orbit (its rim's lowest point is Or) and the ear rod (its top is machine porion).
  film.stroke(ellipse(px(add(Or, 0, 16)), 14 * mmToPx, 16 * mmToPx, 48), 1 * mmToPx, 0.12, true);
  const rod = px(add(Po, 0, -5.5));
  film.stroke(ellipse(rod, 5.5 * mmToPx, 5.5 * mmToPx, 40), 0.9 * mmToPx, 0.45, true);
  film.fill(ellipse(px(add(Po, 3, -8)), 4 * mmToPx, 3 * mmToPx, 24), -0.06);
  // Cervical vertebrae behind the ramus.
  for (let v = 0; v < 4; v++) {
    const c = add(Go, -uniform(rand, 22, 26), 24 - v * 17);
    film.fill(curve(P(add(c, -8, -6), add(c, 8, -6), add(c, 8, 6), add(c, -8, 6)), true), 0.15, bone, 0.3);
  }

  // Maxilla: body above the teeth, then the palate and alveolus ending in ANS, A and prosthion.
  film.fill(
    curve(P(add(PNS, 2, 4), add(Or, -6, -4), add(Or, 10, -6), add(A, -10, 12), add(A, -6, 2)), true),
    0.07,
    bone,
    0.5,
  );
  const maxilla = P(
    PNS,
    add(PNS, 8, 2.5),
    add(ANS, -20, 2),
    ANS,
    add(ANS, -2.5, -2),
    A,
    add(Pr, -0.5, 3),
    Pr,
    add(Pr, -5, -1),
    add(Pr, -14, 2),
    add(PNS, 24, -14),
    add(PNS, 8, -10),
    add(PNS, 1, -3),
  );
  const maxillaOutline = curve(maxilla, true);
  film.fill(maxillaOutline, 0.2, bone, 0.35);
  film.stroke(maxillaOutline, 0.8 * mmToPx, 0.07, true);

  // Mandible: symphysis (B, Pog, Me), lower border to gonion, ramus up to the condyle.
  const mandible = P(
    Id,
    add(B, 0.5, 3),
    B,
    add(Pog, -0.5, 4.5),
    Pog,
    Gn,
    Me,
    polar(Me, 25, 180 - fma + 2),
    polar(Me, 50, 180 - fma - 1.5),
    add(Go, 2.5, -1.5),
    Go,
    add(Go, -1.5, 3),
    add(Co, -2.5, -16),
    add(Co, -3, -4),
    Co,
    add(Co, 3, -1),
    add(Co, 6, -8),
    add(Co, 13, -6),
    add(Co, 18, 1),
    add(Co, 17, -6),
    add(Go, 24, 12),
    add(Go, 32, 16),
    add(Id, -26, 3),
    add(Id, -9, -2),
    add(Id, -2, -1),
  );
  const mandibleOutline = curve(mandible, true);
  film.fill(mandibleOutline, 0.22, bone, 0.35);
  film.stroke(mandibleOutline, 1.2 * mmToPx, 0.12, true);
  film.stroke(
    curve(P(add(Id, -6, -2), add(Me, -14, 14), add(Me, -10, 4), add(Me, -3, 0.5)), false),
    1.1 * mmToPx,
    0.12,
  );

  // Posterior teeth along the occlusal plane, then the incisors over them.
  const mid: Point = [(U1[0] + L1[0]) / 2, (U1[1] + L1[1]) / 2];
  const occlusal = uniform(rand, 6, 12);
  for (let t = 0; t < 5; t++) {
    const c = polar(mid, 20 + t * 8.4, 180 + occlusal);
    film.fill(curve(P(add(c, -3.8, 0.5), add(c, 3.8, 0.5), add(c, 3.2, 7.5), add(c, -3.2, 7.5)), true), 0.3);
    film.fill(
      curve(P(add(c, -3.8, -0.5), add(c, 3.8, -0.5), add(c, 3.2, -7.5), add(c, -3.2, -7.5)), true),
      0.3,
    );
  }
  const incisor = (tip: Point, apex: Point, labial: 1 | -1) => {
    const ang = Math.atan2(tip[1] - apex[1], tip[0] - apex[0]);
    const nx = -Math.sin(ang) * labial;
    const ny = Math.cos(ang) * labial;
    const along = (t: number, w: number): Point => [
      apex[0] + (tip[0] - apex[0]) * t + nx * w,
      apex[1] + (tip[1] - apex[1]) * t + ny * w,
    ];
    film.fill(
      curve(P(apex, along(0.55, 3.3), along(0.85, 3.2), tip, along(0.8, -3.6), along(0.5, -3.2)), true),
      0.34,
    );
    film.fill(
      curve(P(along(0.72, 3.0), along(0.9, 2.6), tip, along(0.85, -3.2), along(0.72, -3.3)), true),
      0.14,
    );
  };
  incisor(U1, U1apex, 1);
  incisor(L1, L1apex, 1);

  const gain = uniform(rand, 0.85, 1.15);
  const offset = uniform(rand, 0.03, 0.08);
  for (let i = 0; i < film.data.length; i++) film.data[i] = (offset + film.data[i]!) * gain;
  let image: Image = { width: W, height: H, data: film.data };
  image = gaussianBlur(image, uniform(rand, 0.6, 1.3));
  image = addNoise(image, uniform(rand, 0.008, 0.025) + (opts.noise ?? 0), seed ^ 0x3c6ef372);

  const landmarks = Object.fromEntries(
    ORTHO_LANDMARKS.map((k) => [k, px({ S, N, Or, Po, ANS, PNS, A, B, Pog, Me, Go, U1, L1 }[k])]),
  ) as Record<OrthoLandmark, Point>;
  return {
    image,
    landmarks,
    sna,
    snb,
    anb,
    skeletalClass: skeletalClass(anb),
    pixelSpacingMm: ORTHO_PIXEL_SPACING_MM,
  };
}
