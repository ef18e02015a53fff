// `btt ai sample|analyze|evaluate --module orthodontic`: a generated cephalogram in, landmarks,
// SNA/SNB/ANB and the skeletal class out with every confidence term, report.json and overlay.png written.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { cli, json } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-ortho-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btt ai --module orthodontic", () => {
  it("writes a sample and analyzes it into angles, a class and landmarks with every term", async () => {
    const file = join(dir, "ceph.dcm");
    const s = await json("ai", "sample", file, "--module", "orthodontic", "--seed", "7");
    expect(["I", "II", "III"]).toContain(s.skeletal_class);
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", file, "--module", "orthodontic", "--out", out);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const term of [
      "C ",
      "alpha 0.600",
      "I_quality",
      "D_confidence",
      "P_consensus 0.500",
      "U_factor",
      "SNA",
      "SNB",
      "ANB",
      "skeletal Class",
    ])
      expect(r.out).toContain(term);
    expect(r.out).toContain("pixel spacing 0.4 x 0.4 mm (from the file)");
    const j = await json("ai", "analyze", file, "--module", "orthodontic", "--out", out);
    expect(j.findings.map((f: { measure: string }) => f.measure)).toEqual([
      "SNA",
      "SNB",
      "ANB",
      "skeletal-class",
    ]);
    expect(j.landmarks).toHaveLength(13);
    expect(Math.abs(j.findings[2].value_deg - s.anb)).toBeLessThan(3);
    for (const f of [...j.findings, ...j.landmarks]) {
      const c = f.confidence;
      expect(c.C).toBeCloseTo(
        c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
        12,
      );
    }
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
    const meta = await sharp(join(out, "overlay.png")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 512, 512]);
  });

  it("evaluates on a synthetic set", async () => {
    const e = await json("ai", "evaluate", "--module", "orthodontic", "--data", "synthetic:91:3");
    expect(e.images).toBe(3);
    expect(e.landmarks).toBe(39);
    expect(e.mreMm.value).toBeLessThan(6);
    const bad = await cli("ai", "evaluate", "--module", "orthodontic", "--data", "coco:/nowhere");
    expect(bad.status).not.toBe(0);
    expect(bad.err).toContain("synthetic:<seed>:<count>");
  });
});
