// Labelled evaluation sets for the caries model: a COCO directory (annotations.json + images, the
// layout models/tools/synth.ts writes) or "synthetic:<seed>:<count>" generated in memory with the
// same per-image seeds and 8-bit PNG encoding. Everything is checked before the model runs, so a
// missing image or a bad annotation is refused in one line instead of half-way through.
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BttError } from "@btt/core";
import sharp from "sharp";
import { type CariesEvaluation, evaluateCaries } from "./evaluate.ts";
import type { CariesPipeline } from "./pipeline.ts";
import { type CariesLabel, generateBitewing } from "./synth.ts";

export interface LabelledImage {
  name: string;
  side: "R" | "L";
  labels: CariesLabel[];
  bytes(): Promise<Uint8Array>;
}

export interface LabelledSet {
  description: string;
  images: LabelledImage[];
}

const SYNTHETIC = /^synthetic:(\d+):(\d+)$/;
const MAX_SYNTHETIC = 10_000;

/** `synthetic:<seed>:<count>` or a COCO directory. */
export function openLabelledSet(spec: string): Promise<LabelledSet> {
  if (spec.startsWith("synthetic:")) {
    const m = SYNTHETIC.exec(spec);
    const seed = Number(m?.[1]);
    const count = Number(m?.[2]);
    if (!m || !Number.isSafeInteger(seed) || count < 1 || count > MAX_SYNTHETIC)
      throw new BttError(
        "INVALID_MESSAGE",
        `--data ${spec}: expected synthetic:<seed>:<count> with 1 ≤ count ≤ ${MAX_SYNTHETIC}`,
      );
    return Promise.resolve(syntheticSet(seed, count));
  }
  return readCocoDir(spec);
}

/** The images models/tools/synth.ts would write for --seed/--count (seed 3 is the card's held-out set). */
export function syntheticSet(seed0: number, count: number): LabelledSet {
  const images = Array.from({ length: count }, (_, i): LabelledImage => {
    const seed = seed0 * 1_000_003 + i;
    // The side and labels need the drawing; the PNG is encoded when the image is read.
    const { image, side, lesions } = generateBitewing(seed);
    return {
      name: `synthetic seed ${seed}`,
      side,
      labels: lesions,
      bytes: async () => {
        const px = Buffer.alloc(image.width * image.height);
        for (let p = 0; p < px.length; p++)
          px[p] = Math.round(Math.min(1, Math.max(0, image.data[p]!)) * 255);
        return sharp(px, { raw: { width: image.width, height: image.height, channels: 1 } })
          .png()
          .toBuffer();
      },
    };
  });
  return { description: `synthetic bitewings, seed ${seed0}, ${count} images`, images };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

const bad = (file: string, what: string) => new BttError("INVALID_MESSAGE", `${file}: ${what}`, { file });

/**
 * A COCO directory: `annotations.json` with images {id, file_name, laterality?: R|L} and
 * annotations {image_id, bbox [x,y,w,h], attributes {tooth (FDI), severity 1|2|3}}.
 */
export async function readCocoDir(dir: string): Promise<LabelledSet> {
  const file = join(resolve(dir), "annotations.json");
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new BttError("NOT_FOUND", `cannot read ${file}: ${err.code ?? err.message}`, { file });
  });
  let coco: unknown;
  try {
    coco = JSON.parse(text);
  } catch (err) {
    throw bad(file, `not JSON (${(err as Error).message})`);
  }
  if (!isRecord(coco) || !Array.isArray(coco.images) || !Array.isArray(coco.annotations))
    throw bad(file, "expected an object with images[] and annotations[]");
  const byId = new Map<number, { name: string; side: "R" | "L"; labels: CariesLabel[] }>();
  coco.images.forEach((img, i) => {
    if (
      !isRecord(img) ||
      !Number.isSafeInteger(img.id) ||
      typeof img.file_name !== "string" ||
      !img.file_name
    )
      throw bad(file, `images[${i}] needs an integer id and a file_name`);
    const side = img.laterality ?? "R";
    if (side !== "R" && side !== "L") throw bad(file, `images[${i}].laterality must be R or L`);
    if (byId.has(img.id as number)) throw bad(file, `images[${i}] repeats id ${img.id}`);
    byId.set(img.id as number, { name: img.file_name, side, labels: [] });
  });
  coco.annotations.forEach((a, i) => {
    const where = `annotations[${i}]`;
    if (!isRecord(a)) throw bad(file, `${where} is not an object`);
    const img = byId.get(a.image_id as number);
    if (!img) throw bad(file, `${where}.image_id ${JSON.stringify(a.image_id)} names no image`);
    const box = a.bbox;
    if (
      !Array.isArray(box) ||
      box.length !== 4 ||
      !box.every((v) => typeof v === "number" && Number.isFinite(v)) ||
      box[2] <= 0 ||
      box[3] <= 0
    )
      throw bad(file, `${where}.bbox must be [x, y, width, height] with width and height > 0`);
    const at = isRecord(a.attributes) ? a.attributes : {};
    const tooth = at.tooth as number;
    if (!Number.isInteger(tooth) || tooth < 11 || tooth > 48 || tooth % 10 < 1 || tooth % 10 > 8)
      throw bad(file, `${where}.attributes.tooth must be an FDI permanent tooth number (11-48)`);
    if (at.severity !== 1 && at.severity !== 2 && at.severity !== 3)
      throw bad(file, `${where}.attributes.severity must be 1, 2 or 3`);
    img.labels.push({ box: box as CariesLabel["box"], tooth, severity: at.severity });
  });
  if (byId.size === 0) throw bad(file, "no images");
  const images: LabelledImage[] = [];
  for (const { name, side, labels } of byId.values()) {
    const path = join(resolve(dir), name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile())
      throw new BttError("NOT_FOUND", `${file}: image ${name} is missing (${path})`, { file: path });
    images.push({ name, side, labels, bytes: async () => new Uint8Array(await readFile(path)) });
  }
  return { description: `COCO ${resolve(dir)}, ${images.length} images`, images };
}

/**
 * Runs every image through the pipeline (no test-time augmentation: findings do not depend on
 * it) and scores the findings against the labels. An unreadable image is refused with its name.
 */
export async function evaluateSet(
  pipeline: CariesPipeline,
  set: LabelledSet,
  matchIou = pipeline.model.card.thresholds.matchIou ?? 0.3,
): Promise<CariesEvaluation> {
  const cases = [];
  for (const img of set.images) {
    const res = await pipeline
      .analyze(await img.bytes(), { side: img.side, augmentations: [] })
      .catch((err) => {
        if (err instanceof BttError) throw new BttError(err.code, `${img.name}: ${err.message}`, err.details);
        throw err;
      });
    cases.push({ predicted: res.findings, labels: img.labels });
  }
  return evaluateCaries(cases, matchIou);
}
