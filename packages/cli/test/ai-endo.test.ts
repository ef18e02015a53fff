// `btt ai sample|analyze|evaluate --module endodontic`: a generated periapical view in, a lesion
// call per tooth out with every confidence term, report.json and overlay.png written.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { cli, json } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-endo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btt ai --module endodontic", () => {
  it("writes a sample and analyzes it into one finding per tooth with every term", async () => {
    const file = join(dir, "endo.dcm");
    const s = await json("ai", "sample", file, "--module", "endodontic", "--seed", "7");
    expect(s.teeth.length).toBeGreaterThan(0);
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", file, "--module", "endodontic", "--out", out);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const term of ["C ", "alpha 0.600", "I_quality", "D_confidence", "P_consensus 0.500", "U_factor"])
      expect(r.out).toContain(term);
    const j = await json("ai", "analyze", file, "--module", "endodontic", "--out", out);
    // One printed block per reported tooth (the model may miss or add one: this checks the plumbing).
    expect(r.out.match(/tooth \d\d {2}(periapical lesion|no lesion)/g)).toHaveLength(j.findings.length);
    const labelled = s.teeth.map((t: { tooth: number }) => t.tooth);
    expect(j.findings.some((f: { tooth: number }) => labelled.includes(f.tooth))).toBe(true);
    for (const f of j.findings) {
      const c = f.confidence;
      expect(c.C).toBeCloseTo(
        c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
        12,
      );
      expect(f.box_mm[2]).toBeCloseTo(f.box[2] * j.pixel_spacing_mm, 1);
    }
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
    const meta = await sharp(join(out, "overlay.png")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 320, 416]);
  });

  it("evaluates on a synthetic set", async () => {
    const e = await json("ai", "evaluate", "--module", "endodontic", "--data", "synthetic:81:6");
    expect(e.images).toBe(6);
    expect(e.teeth).toBeGreaterThanOrEqual(6);
    for (const k of ["sensitivity", "specificity", "accuracy", "lesionPrecision", "lesionRecall"])
      expect(e[k].ci95).toHaveLength(2);
    expect(e.auc.value).toBeGreaterThan(0.5);
    const bad = await cli("ai", "evaluate", "--module", "endodontic");
    expect(bad.status).not.toBe(0);
    expect(bad.err).toContain("--data synthetic:<seed>:<count> is required");
  });
});
