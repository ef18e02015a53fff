// `btt ai sample|analyze|evaluate --module periodontal`: a generated posterior view in, bone loss
// and stage per tooth out with every confidence term, report.json and overlay.png written.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { cli, json } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-perio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btt ai --module periodontal", () => {
  it("writes a sample and analyzes it into one finding per tooth with every term", async () => {
    const file = join(dir, "perio.dcm");
    const s = await json("ai", "sample", file, "--module", "periodontal", "--seed", "7");
    expect(s.teeth).toHaveLength(8);
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", file, "--module", "periodontal", "--out", out);
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    for (const term of ["C ", "alpha 0.600", "I_quality", "D_confidence", "P_consensus 0.500", "U_factor"])
      expect(r.out).toContain(term);
    expect(r.out.match(/tooth \d\d {2}bone loss/g)).toHaveLength(8);
    const j = await json("ai", "analyze", file, "--module", "periodontal", "--out", out);
    expect(j.findings.map((f: { tooth: number }) => f.tooth).sort()).toEqual(
      s.teeth.map((t: { tooth: number }) => t.tooth).sort(),
    );
    for (const f of j.findings) {
      const label = s.teeth.find((t: { tooth: number }) => t.tooth === f.tooth);
      expect(Math.abs(f.bone_loss_pct - label.boneLossPct)).toBeLessThan(15);
      const c = f.confidence;
      expect(c.C).toBeCloseTo(
        c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
        12,
      );
    }
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
    const meta = await sharp(join(out, "overlay.png")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 512, 384]);
  });

  it("evaluates on a synthetic set and refuses an unknown module", async () => {
    const e = await json("ai", "evaluate", "--module", "periodontal", "--data", "synthetic:81:4");
    expect(e.teeth).toBe(32);
    expect(e.boneLossMae.value).toBeLessThan(8);
    const bad = await cli("ai", "analyze", join(dir, "perio.dcm"), "--module", "ortho");
    expect(bad.status).not.toBe(0);
    expect(bad.err).toContain("--module must be one of caries, periodontal");
  });
});
