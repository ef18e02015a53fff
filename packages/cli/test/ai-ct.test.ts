// `btt ai sample|analyze|evaluate --module ct`: a generated head CT series (a directory of DICOM
// files) in, per-slice probabilities and one series finding out with every confidence term,
// report.json and overlay.png written.
import { mkdtempSync, rmSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, json } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-ct-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btt ai --module ct", () => {
  it("writes a series and analyzes its directory, or its files, into one series finding", async () => {
    const series = join(dir, "series");
    const s = await json("ai", "sample", "--module", "ct", "--seed", "3", "--out", series);
    expect((await readdir(series)).length).toBe(20);
    const labelled = s.labels.flatMap((l: boolean, i: number) => (l ? [i] : []));
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", series, "--module", "ct", "--out", out);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const term of ["C ", "alpha 0.600", "I_quality", "D_confidence", "P_consensus 0.500", "U_factor"])
      expect(r.out).toContain(term);
    expect(r.out).toContain("ordered by position");
    const files = (await readdir(series)).map((f) => join(series, f)).reverse();
    const j = await json("ai", "analyze", ...files, "--module", "ct", "--out", out);
    expect(j.series.slices).toBe(20);
    expect(j.finding.present).toBe(labelled.length > 0);
    if (labelled.length > 0) expect(labelled).toContain(j.finding.peak.index);
    const c = j.finding.confidence;
    expect(c.C).toBeCloseTo(
      c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
      12,
    );
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
    const bad = await cli("ai", "analyze", files[0]!, files[1]!, "--module", "caries");
    expect(bad.status).not.toBe(0);
    expect(bad.err).toContain("one file at a time");
  });

  it("evaluates on a synthetic set", async () => {
    const e = await json("ai", "evaluate", "--module", "ct", "--data", "synthetic:81:4");
    expect(e.series).toBe(4);
    expect(e.slices).toBe(80);
    for (const k of ["sliceSensitivity", "sliceSpecificity", "seriesSensitivity", "seriesSpecificity"])
      expect(e[k].ci95).toHaveLength(2);
    expect(e.calibrationError.n).toBe(80);
  });
});
