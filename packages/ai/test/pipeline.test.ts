import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BttError } from "@btt/core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TransferSyntax } from "../src/dicom.ts";
import { writeDicom } from "../src/dicom-write.ts";
import { boxIou, evaluateCaries } from "../src/evaluate.ts";
import { loadModel, readCard, sha256Hex } from "../src/model.ts";
import { CARIES_CARD, CariesPipeline } from "../src/pipeline.ts";
import { generateBitewing, type SynthBitewing } from "../src/synth.ts";

const toDicom12 = (s: SynthBitewing, ts: string = TransferSyntax.EXPLICIT_LE) =>
  writeDicom({
    rows: s.image.height,
    cols: s.image.width,
    frames: [Array.from(s.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: s.side,
    transferSyntax: ts,
    manufacturer: "Acme Dental",
  });

const toPng = (s: SynthBitewing) =>
  sharp(Buffer.from(Array.from(s.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))), {
    raw: { width: s.image.width, height: s.image.height, channels: 1 },
  })
    .png()
    .toBuffer();

type Obs = {
  resourceType: string;
  id: string;
  bodySite?: { coding: { code: string; system: string }[] };
  component: { code: { text: string }; valueQuantity?: { value: number } }[];
  device?: { reference: string };
};

let pipeline: CariesPipeline;
beforeAll(async () => {
  pipeline = await CariesPipeline.open();
});
afterAll(async () => {
  await pipeline?.close();
});

describe("caries pipeline: file bytes to DiagnosticReport", () => {
  it("turns a generated DICOM bitewing into a FHIR report with one Observation per finding", async () => {
    const synth = generateBitewing(4242, { lesions: 3, side: "R" });
    const res = await pipeline.analyze(await toDicom12(synth), { issued: new Date("2026-01-02T03:04:05Z") });
    expect(res.study.modality).toBe("IO");
    expect(res.study.equipment.manufacturer).toBe("Acme Dental");
    const r = res.report as unknown as Record<string, unknown> & {
      contained: Obs[];
      result: { reference: string }[];
    };
    expect(r.resourceType).toBe("DiagnosticReport");
    expect(r.issued).toBe("2026-01-02T03:04:05.000Z");
    const device = r.contained.find((c) => c.resourceType === "Device") as unknown as {
      identifier: { value: string }[];
      version: { value: string }[];
    };
    const card = await readCard(CARIES_CARD);
    expect(device.identifier[0]!.value).toBe(card.sha256);
    expect(device.version[0]!.value).toBe(card.version);
    const findings = r.contained.filter(
      (c) => c.resourceType === "Observation" && c.id.startsWith("finding-"),
    );
    expect(findings).toHaveLength(res.findings.length);
    expect(r.result).toHaveLength(res.findings.length + 1);
    findings.forEach((o, i) => {
      const f = res.findings[i]!;
      expect(o.bodySite!.coding[0]!.code).toBe(String(f.tooth));
      expect(o.device!.reference).toBe("#model");
      const d = o.component.find((c) => c.code.text === "D_confidence")!;
      expect(d.valueQuantity!.value).toBeCloseTo(f.score, 3);
      expect(o.component.some((c) => c.code.text === "I_quality")).toBe(true);
    });
    // The model finds lesions it was built for: at least one label matched, on a right-side tooth.
    expect(res.findings.length).toBeGreaterThan(0);
    const matched = synth.lesions.filter((l) =>
      res.findings.some((f) => boxIou(f.box, l.box) >= 0.3 && f.tooth === l.tooth),
    );
    expect(matched.length).toBe(synth.lesions.length);
    for (const f of res.findings) expect([1, 4]).toContain(Math.floor(f.tooth / 10));
    expect(res.quality.score).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it("numbers left-side teeth in quadrants 2 and 3 and finds the same lesions in PNG and RLE DICOM", async () => {
    const synth = generateBitewing(777, { lesions: 3, side: "L" });
    const fromDicom = await pipeline.analyze(await toDicom12(synth, TransferSyntax.RLE));
    const fromPng = await pipeline.analyze(await toPng(synth), { side: "L" });
    expect(fromDicom.findings.length).toBeGreaterThan(0);
    for (const f of fromDicom.findings) expect([2, 3]).toContain(Math.floor(f.tooth / 10));
    const teeth = (fs: { tooth: number }[]) => fs.map((f) => f.tooth).sort();
    expect(teeth(fromPng.findings)).toEqual(teeth(fromDicom.findings));
  });

  it("meets the card's floors on freshly generated held-out images", async () => {
    // Floors set below the card's held-out figures (precision 0.99, recall 0.98, tooth 0.997).
    const cases = [];
    for (let i = 0; i < 16; i++) {
      const synth = generateBitewing(70_000 + i);
      // Detection only: the augmented views (U_factor) do not change what is found.
      const res = await pipeline.analyze(await toPng(synth), { side: synth.side, augmentations: [] });
      cases.push({ predicted: res.findings, labels: synth.lesions });
    }
    const e = evaluateCaries(cases);
    expect(e.lesions).toBeGreaterThan(10);
    expect(e.lesionRecall.value).toBeGreaterThanOrEqual(0.85);
    expect(e.lesionPrecision.value).toBeGreaterThanOrEqual(0.85);
    expect(e.toothAccuracy.value).toBeGreaterThanOrEqual(0.9);
    expect(e.severityAccuracy.value).toBeGreaterThanOrEqual(0.7);
  });

  it("reports no lesion on most lesion-free images", async () => {
    let clean = 0;
    for (let i = 0; i < 4; i++) {
      const res = await pipeline.analyze(await toPng(generateBitewing(5000 + i, { lesions: 0, side: "R" })));
      if (res.findings.length === 0) clean++;
    }
    expect(clean).toBeGreaterThanOrEqual(3);
  });

  it("refuses bad input with INVALID_IMAGE and keeps working", async () => {
    await expect(pipeline.analyze(new TextEncoder().encode("not an image"))).rejects.toMatchObject({
      code: "INVALID_IMAGE",
      details: { reason: "not_an_image" },
    });
    const dicom = await toDicom12(generateBitewing(1, { lesions: 1 }));
    await expect(pipeline.analyze(dicom.subarray(0, dicom.length - 1000))).rejects.toMatchObject({
      code: "INVALID_IMAGE",
      details: { reason: "truncated" },
    });
    await expect(pipeline.analyze(dicom, { limits: { maxSide: 256 } })).rejects.toMatchObject({
      details: { reason: "too_large" },
    });
    const ok = await pipeline.analyze(dicom);
    expect(ok.report.resourceType).toBe("DiagnosticReport");
  });
});

describe("model pinning", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "btt-ai-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a model whose bytes differ from the pinned SHA-256", async () => {
    const card = await readCard(CARIES_CARD);
    const bytes = await readFile(join(dirname(CARIES_CARD), card.file));
    expect(sha256Hex(bytes)).toBe(card.sha256);
    const tampered = Buffer.from(bytes);
    tampered[tampered.length - 10]! ^= 0xff;
    await writeFile(join(dir, card.file), tampered);
    await copyFile(CARIES_CARD, join(dir, "card.json"));
    const err = await loadModel(join(dir, "card.json")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BttError);
    expect((err as BttError).code).toBe("MODEL_INTEGRITY");
    expect((err as BttError).details.expected).toBe(card.sha256);
    expect((err as BttError).details.actual).toBe(sha256Hex(tampered));
  });

  it("refuses a registry pin that differs from the card", async () => {
    await expect(CariesPipeline.open(CARIES_CARD, { expectedSha256: "00".repeat(32) })).rejects.toMatchObject(
      {
        code: "MODEL_INTEGRITY",
      },
    );
  });

  it("asks for CUDA when told to and falls back to CPU when the runtime cannot open it", async () => {
    const m = await loadModel(CARIES_CARD, { providers: ["cuda", "cpu"] });
    try {
      expect(m.providers.at(-1)).toBe("cpu");
      if (m.providers.length === 1) expect(m.providerFallback).toBeTruthy();
      const out = await m.run(new Float32Array(128 * 256).fill(0.5));
      expect(out.length).toBe(16 * 16 * 32);
    } finally {
      await m.close();
    }
  });

  it("checks the input contract before running", async () => {
    await expect(pipeline.model.run(new Float32Array(10))).rejects.toMatchObject({ code: "INVALID_IMAGE" });
  });
});
