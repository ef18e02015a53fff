// Synthetic head CT series for the generic CT module: an ellipsoid head phantom in Hounsfield
// units (air, scalp, skull, grey and white matter, ventricles), scanner noise, an occasional small
// calcification as a distractor and, in about half of the series, a hyperdense ellipsoid lesion of
// 55–90 HU (haemorrhage-like) spanning a few slices. Labels: lesion present per slice (its cross
// section at least LESION_MIN_RADIUS_MM in radius) and the lesion's 3D box. Deterministic from the
// seed; written as DICOM CT (stored = HU + 1024, Rescale Intercept −1024) by writeCtSeries.
import { createHash } from "node:crypto";
import { writeDicom } from "./dicom-write.ts";
import { mulberry32 } from "./synth.ts";
import { smoothTexture } from "./synth-radiograph.ts";

export const CT_IMAGE = { width: 128, height: 128 } as const;
export const CT_PIXEL_SPACING_MM = 1.8;
export const CT_SLICE_THICKNESS_MM = 5;
export const CT_SLICES = 20;
/** A slice is labelled positive when the lesion's cross-section there has at least this radius. */
export const LESION_MIN_RADIUS_MM = 3;
/** HU = stored + this (CT's usual Rescale Intercept with slope 1). */
export const CT_RESCALE_INTERCEPT = -1024;

const CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2";
const ENHANCED_CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2.1";

export interface CtLesion {
  /** Centre in mm (x, y in the slice plane from the first pixel; z along the series). */
  centerMm: [number, number, number];
  radiiMm: [number, number, number];
  hu: number;
  /** [x, y, firstSlice, width, height, slices]: pixels and slice indices of the labelled extent. */
  box: [number, number, number, number, number, number];
}

export interface SyntheticCtSeries {
  seed: number;
  width: number;
  height: number;
  pixelSpacingMm: number;
  sliceThicknessMm: number;
  /** Each slice's Hounsfield units, row-major, lowest slice first. */
  slices: Float32Array[];
  /** Slice positions along z, mm. */
  zMm: number[];
  labels: boolean[];
  lesion?: CtLesion;
  studyUid: string;
  seriesUid: string;
}

export interface CtOptions {
  /** Force a lesion (true) or none (false); otherwise half the series have one. */
  lesion?: boolean;
  slices?: number;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

/** A DICOM UID under the UUID-derived root 2.25, fixed by the seed and a role. */
function seededUid(seed: number, role: string): string {
  const h = createHash("sha256").update(`btt.synth-ct/${seed}/${role}`).digest("hex").slice(0, 30);
  return `2.25.${BigInt(`0x${h}`).toString()}`;
}

export function generateCtSeries(seed: number, opts: CtOptions = {}): SyntheticCtSeries {
  const rand = mulberry32(seed ^ 0x51ed2701);
  const { width: w, height: h } = CT_IMAGE;
  const px = CT_PIXEL_SPACING_MM;
  const n = opts.slices ?? CT_SLICES;
  // Head: an ellipsoid (semi-axes in mm), a little off centre and turned in plane.
  const a = 66 + rand() * 12;
  const b = 80 + rand() * 12;
  const c = 60 + rand() * 10;
  const cx = (w * px) / 2 + (rand() - 0.5) * 16;
  const cy = (h * px) / 2 + (rand() - 0.5) * 16;
  const turn = (rand() - 0.5) * 0.35;
  const cos = Math.cos(turn);
  const sin = Math.sin(turn);
  const skull = 5 + rand() * 3;
  const zc = (n * CT_SLICE_THICKNESS_MM) / 2 + (rand() - 0.5) * 6;
  const grey = 36 + rand() * 6;
  const white = grey - 8 - rand() * 4;
  const noise = 3.5 + rand() * 4;
  const bone = 850 + rand() * 350;
  const hasLesion = opts.lesion ?? rand() < 0.5;
  // Calcifications (pineal-like, midline) in some series with or without a lesion: small and much
  // denser than blood, so brightness alone does not mean "lesion".
  const calcification = rand() < 0.4 ? { r: 1.8 + rand() * 1.5, dz: (rand() - 0.5) * 10 } : undefined;
  let lesion: CtLesion | undefined;
  let lr: [number, number, number] = [0, 0, 0];
  let lc: [number, number, number] = [0, 0, 0];
  let lhu = 0;
  if (hasLesion) {
    lr = [5 + rand() * 10, 5 + rand() * 10, 6 + rand() * 9];
    const ang = rand() * 2 * Math.PI;
    const rho = 0.15 + rand() * 0.45;
    lc = [
      cx + Math.cos(ang) * rho * (a - skull),
      cy + Math.sin(ang) * rho * (b - skull),
      zc + (rand() - 0.5) * 0.6 * c,
    ];
    lhu = 55 + rand() * 35;
  }
  const base = smoothTexture(rand, w, h, 8);
  const slices: Float32Array[] = [];
  const zMm: number[] = [];
  const labels: boolean[] = [];
  for (let k = 0; k < n; k++) {
    const z = (k + 0.5) * CT_SLICE_THICKNESS_MM;
    zMm.push(z);
    const s = Math.sqrt(Math.max(0, 1 - ((z - zc) / c) ** 2));
    const fine = smoothTexture(rand, w, h, 3);
    const img = new Float32Array(w * h);
    const lzr = hasLesion ? 1 - ((z - lc[2]) / lr[2]) ** 2 : -1;
    const lesionScale = lzr > 0 ? Math.sqrt(lzr) : 0;
    labels.push(lesionScale * Math.min(lr[0], lr[1]) >= LESION_MIN_RADIUS_MM);
    const ventricles = Math.abs(z - zc) < 0.3 * c;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const X = (x + 0.5) * px - cx;
        const Y = (y + 0.5) * px - cy;
        const u = cos * X + sin * Y;
        const v = -sin * X + cos * Y;
        // Radial coordinate of the ellipse at this slice (1 = the outer surface).
        const r = s > 0.05 ? Math.hypot(u / (a * s), v / (b * s)) : 99;
        const depth = (1 - r) * Math.min(a, b) * s; // mm inside the outer surface, roughly
        let hu: number;
        if (r > 1) hu = -1000;
        else if (depth < 3) hu = 20 + 15 * fine[y * w + x]!;
        else if (depth < 3 + skull) hu = bone + 120 * fine[y * w + x]!;
        else {
          const inner = r / Math.max(1e-3, 1 - (3 + skull) / (Math.min(a, b) * s));
          hu = inner < 0.7 ? white : inner < 0.82 ? white + ((inner - 0.7) / 0.12) * (grey - white) : grey;
          hu += 3 * base[y * w + x]!;
          if (ventricles) {
            const vz = 1 - ((z - zc) / (0.3 * c)) ** 2;
            for (const side of [-1, 1]) {
              const du = (u - side * 9) / (5 * vz + 1);
              const dv = v / (22 * vz + 2);
              if (du * du + dv * dv < 1) hu = 6;
            }
          }
          if (calcification) {
            const d = Math.hypot(u, v + 0.25 * b, z - zc - calcification.dz);
            if (d < calcification.r) hu = 180 + 60 * fine[y * w + x]!;
          }
          if (lesionScale > 0) {
            const d = Math.hypot((X + cx - lc[0]) / lr[0], (Y + cy - lc[1]) / lr[1]) / lesionScale;
            // Partial volume at the rim: about one pixel of blend.
            const edge = Math.min(
              1,
              Math.max(0, ((1 - d) * lesionScale * Math.min(lr[0], lr[1])) / px + 0.5),
            );
            hu = hu * (1 - edge) + lhu * edge;
          }
        }
        img[y * w + x] = hu + noise * gaussian(rand);
      }
    slices.push(img);
  }
  if (hasLesion) {
    const pos = labels.flatMap((l, i) => (l ? [i] : []));
    const x0 = Math.max(0, Math.floor((lc[0] - lr[0]) / px));
    const y0 = Math.max(0, Math.floor((lc[1] - lr[1]) / px));
    const x1 = Math.min(w, Math.ceil((lc[0] + lr[0]) / px));
    const y1 = Math.min(h, Math.ceil((lc[1] + lr[1]) / px));
    lesion = {
      centerMm: lc,
      radiiMm: lr,
      hu: lhu,
      box: [x0, y0, pos[0] ?? 0, x1 - x0, y1 - y0, pos.length],
    };
  }
  return {
    seed,
    width: w,
    height: h,
    pixelSpacingMm: px,
    sliceThicknessMm: CT_SLICE_THICKNESS_MM,
    slices,
    zMm,
    labels,
    lesion,
    studyUid: seededUid(seed, "study"),
    seriesUid: seededUid(seed, "series"),
  };
}

/** Stored CT values (12 bits): HU + 1024, clipped to 0..4095. */
export function ctStoredValues(hu: Float32Array): Uint16Array {
  return Uint16Array.from(hu, (v) => Math.min(4095, Math.max(0, Math.round(v - CT_RESCALE_INTERCEPT))));
}

export interface CtWriteOptions {
  /** One Enhanced CT multi-frame file instead of one file per slice. */
  multiFrame?: boolean;
}

/** The series as DICOM CT files (axial, lowest slice first; the brain window as the file's VOI). */
export async function writeCtSeries(
  series: SyntheticCtSeries,
  opts: CtWriteOptions = {},
): Promise<Uint8Array[]> {
  const common = {
    rows: series.height,
    cols: series.width,
    bitsAllocated: 16 as const,
    bitsStored: 12,
    slope: 1,
    intercept: CT_RESCALE_INTERCEPT,
    window: { center: 40, width: 80 },
    modality: "CT",
    manufacturer: "BTT synthetic",
    model: "synth-ct-1",
    pixelSpacingMm: [series.pixelSpacingMm, series.pixelSpacingMm] as [number, number],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0] as [number, number, number, number, number, number],
    sliceThicknessMm: series.sliceThicknessMm,
    spacingBetweenSlicesMm: series.sliceThicknessMm,
    bodyPart: "HEAD",
    seriesDescription: "Synthetic head CT (not a patient)",
    studyUid: series.studyUid,
    seriesUid: series.seriesUid,
  };
  const position = (z: number): [number, number, number] => [0, 0, z];
  if (opts.multiFrame)
    return [
      await writeDicom({
        ...common,
        sopClassUid: ENHANCED_CT_IMAGE_STORAGE,
        frames: series.slices.map(ctStoredValues),
        imagePositionPatient: position(series.zMm[0]!),
        framePositions: series.zMm.map(position),
      }),
    ];
  const files: Uint8Array[] = [];
  for (let k = 0; k < series.slices.length; k++)
    files.push(
      await writeDicom({
        ...common,
        sopClassUid: CT_IMAGE_STORAGE,
        frames: [ctStoredValues(series.slices[k]!)],
        instanceNumber: k + 1,
        imagePositionPatient: position(series.zMm[k]!),
      }),
    );
  return files;
}
