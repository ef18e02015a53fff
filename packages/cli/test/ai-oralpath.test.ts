// `btt ai sample|analyze|evaluate --module oral-pathology`: a generated view in, a screening class
// with its probabilities, a refer flag and every confidence term out.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, json } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-oralpath-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btt ai --module oral-pathology", () => {
  it("writes a sample and screens it with every term", async () => {
    const file = join(dir, "oralpath.dcm");
    const s = await json("ai", "sample", file, "--module", "oral-pathology", "--seed", "7");
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", file, "--module", "oral-pathology", "--out", out);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const term of [
      "screening class: ",
      "P(none)",
      "C ",
      "alpha 0.600",
      "I_quality",
      "D_confidence",
      "U_factor",
    ])
      expect(r.out).toContain(term);
    const j = await json("ai", "analyze", file, "--module", "oral-pathology", "--out", out);
    expect(j.finding.class).toBe(s.class);
    expect(j.finding.refer).toBe(s.refer);
    const c = j.finding.confidence;
    expect(c.C).toBeCloseTo(
      c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
      12,
    );
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
  });

  it("evaluates on a synthetic set", async () => {
    const e = await json("ai", "evaluate", "--module", "oral-pathology", "--data", "synthetic:81:8");
    expect(e.images).toBe(8);
    expect(e.accuracy.ci95).toHaveLength(2);
    expect(Object.keys(e.sensitivity)).toHaveLength(4);
    expect(e.macroAuc).toBeGreaterThan(0.5);
  });
});
