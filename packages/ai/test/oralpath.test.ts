// The oral-pathology screening module: the generator's classes and lesion geometry, the shipped
// model's pin and held-out figures through the runtime, the FHIR report, canonical bytes, U_factor
// and the evaluation by hand, and bad input.
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCard, sha256Hex } from "../src/model.ts";
import { decodeOralPath, type OralPathFinding } from "../src/oralpath.ts";
import {
  CANONICAL_ORAL_PATH_VERSION,
  canonicalOralPathResult,
  oralPathBenchmarkInput,
} from "../src/oralpath-canonical.ts";
import { evaluateOralPath } from "../src/oralpath-evaluate.ts";
import {
  ORAL_PATH_CARD,
  OralPathPipeline,
  oralPathUncertainty,
  renderOralPathOverlay,
} from "../src/oralpath-pipeline.ts";
import { ENDO_PIXEL_SPACING_MM } from "../src/synth-endo.ts";
import { generateOralPath, ORAL_PATH_CLASSES, type OralPathClass } from "../src/synth-oralpath.ts";
import { imageToPng } from "../src/synth-radiograph.ts";

const meanIn = (s: ReturnType<typeof generateOralPath>, b: readonly number[]) => {
  let sum = 0;
  let n = 0;
  const [x0, y0, w, h] = b.map(Math.round) as [number, number, number, number];
  // The middle third of the box: the lesion's core.
  for (let y = y0 + Math.round(h / 3); y < y0 + Math.round((2 * h) / 3); y++)
    for (let x = x0 + Math.round(w / 3); x < x0 + Math.round((2 * w) / 3); x++) {
      sum += s.image.data[y * s.image.width + x]!;
      n++;
    }
  return sum / n;
};

describe("synthetic oral-pathology views", () => {
  it("are a pure function of the seed and cover every class", () => {
    const a = generateOralPath(31);
    expect(generateOralPath(31)).toEqual(a);
    const classes = new Set(Array.from({ length: 20 }, (_, i) => generateOralPath(i).cls));
    expect([...classes].sort()).toEqual([...ORAL_PATH_CLASSES].sort());
  });

  it("label the lesion's box in px and mm, refer only the ill-defined class, and draw what they say", () => {
    for (const cls of ORAL_PATH_CLASSES)
      for (let seed = 0; seed < 6; seed++) {
        const s = generateOralPath(500 + seed, { cls });
        expect(s.cls).toBe(cls);
        expect(s.refer).toBe(cls === "ill-defined radiolucency");
        if (cls === "none") {
          expect(s.lesion).toBeNull();
          continue;
        }
        const [x, y, w, h] = s.lesion!.box;
        expect(x).toBeGreaterThanOrEqual(0);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(x + w).toBeLessThanOrEqual(s.image.width + 0.01);
        expect(y + h).toBeLessThanOrEqual(s.image.height + 0.01);
        s.lesion!.box.forEach((v, i) => {
          expect(s.lesion!.boxMm[i]).toBeCloseTo(v * ENDO_PIXEL_SPACING_MM, 1);
        });
        // The same view without the lesion: the box's core is darker (radiolucent) or brighter.
        const plain = generateOralPath(500 + seed, { cls: "none" });
        const delta = meanIn(s, s.lesion!.box) - meanIn(plain, s.lesion!.box);
        if (cls === "radiopaque mass") expect(delta).toBeGreaterThan(0.08);
        else expect(delta).toBeLessThan(-0.05);
      }
  });
});

const finding = (p: number[]): OralPathFinding => decodeOralPath(Float32Array.from(p.map(Math.log)));

describe("decoding, U_factor and evaluation by hand", () => {
  it("turns logits into probabilities, a class and the refer flag", () => {
    const f = finding([0.5, 0.1, 0.05, 0.35]);
    expect(f.cls).toBe("none");
    expect(f.score).toBeCloseTo(0.5, 6);
    expect(f.probabilities["ill-defined radiolucency"]).toBeCloseTo(0.35, 6);
    // P(ill-defined) 0.35 ≥ 0.3: referred although "none" is likelier.
    expect(f.refer).toBe(true);
    expect(finding([0.8, 0.1, 0.05, 0.05]).refer).toBe(false);
  });

  it("measures the class probability's dispersion and class disagreement", () => {
    const base = finding([0.6, 0.2, 0.1, 0.1]);
    // P(none) under the views 0.6, 0.2 (the class flips), 0.6: with the base σ = √0.03.
    const u = oralPathUncertainty(base, [finding([0.6, 0.2, 0.1, 0.1]), finding([0.2, 0.6, 0.1, 0.1]), base]);
    expect(u.probabilityDispersion).toBeCloseTo(Math.sqrt(0.03) / 0.5, 6);
    expect(u.classDisagreement).toBeCloseTo(1 / 3, 10);
    expect(oralPathUncertainty(base, []).u).toBe(0);
  });

  it("computes accuracy, per-class figures, macro AUC and refer figures", () => {
    const c = (label: OralPathClass, p: number[]) => ({ predicted: finding(p), label });
    const e = evaluateOralPath([
      c("none", [0.7, 0.1, 0.1, 0.1]),
      c("none", [0.2, 0.6, 0.1, 0.1]),
      c("well-defined radiolucency", [0.1, 0.7, 0.1, 0.1]),
      c("radiopaque mass", [0.1, 0.1, 0.7, 0.1]),
      c("ill-defined radiolucency", [0.1, 0.1, 0.1, 0.7]),
    ]);
    expect(e.accuracy.value).toBeCloseTo(0.8, 4);
    expect(e.sensitivity.none.value).toBeCloseTo(0.5, 4);
    expect(e.specificity["well-defined radiolucency"].value).toBeCloseTo(0.75, 4);
    expect(e.auc["radiopaque mass"].value).toBe(1);
    // none: positives 0.7, 0.2 vs negatives 0.1 ×3 → 1; well-defined: 0.7 vs 0.6, 0.1, 0.1, 0.1 → 1.
    expect(e.macroAuc).toBe(1);
    expect(e.referSensitivity.value).toBe(1);
    expect(e.referSpecificity.value).toBe(1);
    expect(e.calibrationError.n).toBe(5);
  });
});

describe("the shipped oral-pathology model", () => {
  let pipeline: OralPathPipeline;
  beforeAll(async () => {
    pipeline = await OralPathPipeline.open();
  });
  afterAll(async () => {
    await pipeline?.close();
  });

  it("is the file its card pins, under 2 MB", async () => {
    const card = await readCard(ORAL_PATH_CARD);
    const bytes = await readFile(join(dirname(ORAL_PATH_CARD), card.file));
    expect(sha256Hex(bytes)).toBe(card.sha256);
    expect(bytes.length).toBe(card.sizeBytes);
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    expect(card.id).toBe("btt.dental.oral-pathology.screening");
    expect(card.trainingData).toMatch(/^synthetic, not for clinical use/);
  });

  it("screens held-out seeds above the floors", async () => {
    // Seeds 95000+ were used neither for training (31, 32) nor for the card's figures (33).
    const cases = [];
    for (let i = 0; i < 40; i++) {
      const s = generateOralPath(95_000 + i);
      const res = await pipeline.analyze(await imageToPng(s.image), { side: s.side, augmentations: [] });
      cases.push({ predicted: res.finding, label: s.cls });
    }
    const e = evaluateOralPath(cases);
    expect(e.accuracy.value).toBeGreaterThanOrEqual(FLOORS.accuracy);
    expect(e.macroAuc).toBeGreaterThanOrEqual(FLOORS.macroAuc);
    expect(e.referSensitivity.value).toBeGreaterThanOrEqual(FLOORS.referSensitivity);
    expect(e.calibrationError.value).toBeLessThanOrEqual(FLOORS.ece);
  });

  it("turns a DICOM view into a DiagnosticReport, an overlay and stable canonical bytes", async () => {
    const input = await oralPathBenchmarkInput(4243);
    const res = await pipeline.analyze(input, { issued: new Date("2026-01-02T03:04:05Z") });
    const f = res.finding;
    expect(Object.values(f.probabilities).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const r = res.report as unknown as {
      contained: {
        resourceType: string;
        id: string;
        valueCodeableConcept?: { text: string };
        component: { code: { text: string } }[];
      }[];
    };
    const obs = r.contained.filter((c) => c.resourceType === "Observation" && c.id.startsWith("finding-"));
    expect(obs).toHaveLength(1);
    expect(obs[0]!.valueCodeableConcept!.text).toBe(f.refer ? `${f.cls}; refer` : f.cls);
    for (const term of [
      "C",
      "I_quality",
      "D_confidence",
      "P_consensus",
      "U_factor",
      "P(ill-defined radiolucency)",
    ])
      expect(obs[0]!.component.some((c) => c.code.text === term)).toBe(true);
    expect(f.confidence.tta_views).toBe(4);
    const png = await renderOralPathOverlay(res);
    expect((await sharp(png).metadata()).width).toBe(res.display.width);
    const run = async () => {
      const x = await pipeline.analyze(input, { augmentations: [], issued: new Date(0) });
      return canonicalOralPathResult({ ...x, side: x.study.laterality?.startsWith("L") ? "L" : "R" });
    };
    const a = await run();
    expect(Buffer.from(await run()).equals(Buffer.from(a))).toBe(true);
    const json = JSON.parse(new TextDecoder().decode(a));
    expect(json.format).toBe(CANONICAL_ORAL_PATH_VERSION);
    expect(json.probabilities_pm.every(Number.isInteger)).toBe(true);
    expect(json.refer).toBe(json.probabilities_pm[3] >= 300);
  });

  it("refuses what is not an image", async () => {
    await expect(pipeline.analyze(new TextEncoder().encode("not an image"))).rejects.toMatchObject({
      code: "INVALID_IMAGE",
      details: { reason: "not_an_image" },
    });
    const tiny = await sharp(Buffer.alloc(16 * 16, 128), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toBuffer();
    await expect(pipeline.analyze(tiny)).rejects.toMatchObject({ details: { reason: "too_small" } });
  });
});

/** Floors below the card's held-out figures (set from honest runs; see models/oralpath/card.json). */
const FLOORS = { accuracy: 0.85, macroAuc: 0.95, referSensitivity: 0.8, ece: 0.1 };
