// The periodontal module's contract: how a study becomes the model's input tensor, and how the
// model's per-tooth-slot output becomes findings {tooth (FDI), bone loss %, stage}.
import { toothFdi } from "./caries.ts";
import { toDisplay } from "./display.ts";
import { flipHorizontal, normaliseIntensity, orient, resize } from "./normalise.ts";
import type { Image, Study } from "./study.ts";
import { PERIO_STAGES, type PerioStage, perioStage } from "./synth-perio.ts";

export const PERIO_INPUT = { width: 256, height: 192 } as const;
/** One slot per tooth position, in caries.ts's TOOTH_POSITIONS order (upper 4-7, lower 4-7). */
export const PERIO_SLOTS = 8;
/**
 * Per slot: 0 bone-loss logit (sigmoid → fraction of the root), 1-3 stage logits (I, II, III/IV),
 * 4 tooth axis x, 5 CEJ y, 6 crest y, 7 apex y (fractions of the input's width and height).
 */
export const PERIO_CHANNELS = 8;

export interface PerioTransform {
  sourceWidth: number;
  sourceHeight: number;
  mirrored: boolean;
  side: "R" | "L";
}

export interface PreparedPerio {
  tensor: Float32Array;
  /** The display image before resampling (quality is measured on it). */
  display: Image;
  transform: PerioTransform;
}

/**
 * Display → canonical orientation → left-side views mirrored into the right-side layout →
 * area resampling to 256x192 → percentile intensity stretch (the caries module's steps, at the
 * periodontal input size).
 */
export function preparePerio(study: Study, frame = 0, side?: "R" | "L"): PreparedPerio {
  const oriented = orient(toDisplay(study, frame), study).image;
  const s: "R" | "L" = side ?? (study.laterality?.startsWith("L") ? "L" : "R");
  const canonical = s === "L" ? flipHorizontal(oriented) : oriented;
  const small = normaliseIntensity(resize(canonical, PERIO_INPUT.width, PERIO_INPUT.height));
  return {
    tensor: small.data,
    display: oriented,
    transform: { sourceWidth: oriented.width, sourceHeight: oriented.height, mirrored: s === "L", side: s },
  };
}

/** A slot index for an FDI tooth of a posterior view (units 4-7), as the training targets use. */
export function perioSlot(fdi: number): number {
  const quadrant = Math.floor(fdi / 10);
  const unit = fdi % 10;
  if (unit < 4 || unit > 7 || quadrant < 1 || quadrant > 4)
    throw new RangeError(`tooth ${fdi} is not a premolar or molar`);
  return (quadrant <= 2 ? 0 : 4) + unit - 4;
}

export interface PerioFinding {
  tooth: number;
  /** Radiographic bone loss, % of the root length (CEJ→apex) beyond the 2 mm biological width. */
  boneLossPct: number;
  stage: PerioStage;
  /** D_confidence: the stage head's probability of the stage the percentage falls in. */
  score: number;
  /** Landmarks [x, y] in source-image pixels, on the tooth's long axis. */
  cej: [number, number];
  crest: [number, number];
  apex: [number, number];
  /** The lost attachment drawn for the overlay: [x, y, w, h] from the CEJ to the crest. */
  box: [number, number, number, number];
}

/** A point in model-input fractions → source pixels, undoing the left-side mirror. */
function toSource(fx: number, fy: number, t: PerioTransform): [number, number] {
  const x = (t.mirrored ? 1 - fx : fx) * t.sourceWidth;
  return [x, fy * t.sourceHeight];
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Raw output [1, 8, 8] → one finding per tooth slot (every slot is reported). */
export function decodePerio(output: Float32Array, t: PerioTransform): PerioFinding[] {
  const findings: PerioFinding[] = [];
  for (let slot = 0; slot < PERIO_SLOTS; slot++) {
    const at = (c: number) => output[slot * PERIO_CHANNELS + c]!;
    const boneLossPct = Math.round(sigmoid(at(0)) * 1000) / 10;
    const stage = perioStage(boneLossPct);
    const p = softmax([at(1), at(2), at(3)]);
    const cej = toSource(at(4), at(5), t);
    const crest = toSource(at(4), at(6), t);
    const apex = toSource(at(4), at(7), t);
    const halfWidth = t.sourceWidth * 0.03;
    const top = Math.min(cej[1], crest[1]);
    findings.push({
      tooth: toothFdi(slot, t.side),
      boneLossPct,
      stage,
      score: p[PERIO_STAGES.indexOf(stage)]!,
      cej,
      crest,
      apex,
      box: [cej[0] - halfWidth, top, 2 * halfWidth, Math.max(1, Math.abs(crest[1] - cej[1]))],
    });
  }
  return findings;
}
