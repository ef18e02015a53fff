// `btt ai analyze` on generated radiographs (every confidence term printed, report.json and
// overlay.png written; bad files refused in one line) and `btt ai models` against a real node
// whose genesis registers a model.
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateBitewing, writeDicom } from "@btt/ai";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

const dir = mkdtempSync(join(tmpdir(), "btt-cli-ai-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let dcm: string;
beforeAll(async () => {
  const s = generateBitewing(4242, { lesions: 3, side: "R" });
  const bytes = await writeDicom({
    rows: s.image.height,
    cols: s.image.width,
    frames: [Array.from(s.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: "R",
  });
  dcm = join(dir, "bitewing.dcm");
  await writeFile(dcm, bytes);
  await writeFile(join(dir, "truncated.dcm"), bytes.subarray(0, bytes.length - 1000));
  await writeFile(join(dir, "notes.txt"), "not a radiograph");
});

describe("btt ai analyze", () => {
  it("prints findings with every confidence term and writes report.json and overlay.png", async () => {
    const out = join(dir, "out");
    const r = await cli("ai", "analyze", dcm, "--out", out, "--confirmed", "8", "--reviewed", "10");
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    expect(r.out).toContain("3 finding(s)");
    for (const term of [
      "C ",
      "alpha 0.600",
      "beta 0.400",
      "I_quality",
      "D_confidence",
      "P_consensus 0.750",
      "U_factor",
    ])
      expect(r.out).toContain(term);
    expect(r.out).toMatch(/tooth 4[4-7] /);
    expect(r.out).toContain("not for clinical use");
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.resourceType).toBe("DiagnosticReport");
    const meta = await sharp(join(out, "overlay.png")).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 512, 256]);
  });

  it("--json gives each term as a number, with C the formula's value", async () => {
    const j = await json("ai", "analyze", dcm, "--out", join(dir, "out-json"));
    expect(j.findings.length).toBe(3);
    for (const f of j.findings) {
      const c = f.confidence;
      expect(c.P_consensus).toBe(0.5);
      expect(c.tta_views).toBe(4);
      expect(c.C).toBeCloseTo(
        c.alpha * c.I_quality * c.D_confidence + c.beta * c.P_consensus * (1 - c.U_factor),
        12,
      );
    }
  });

  it("refuses files that are not radiographs in one line, exit status 1", async () => {
    const trunc = await cli("ai", "analyze", join(dir, "truncated.dcm"), "--out", join(dir, "x"));
    expect(trunc.status).toBe(1);
    expect(trunc.err).toMatch(/^btt: .*truncated/);
    const txt = await cli("ai", "analyze", join(dir, "notes.txt"), "--out", join(dir, "x"));
    expect(txt.status).toBe(1);
    expect(txt.err).toMatch(/^btt: /);
    const missing = await cli("ai", "analyze", join(dir, "nope.dcm"));
    expect(missing.status).toBe(1);
    expect(missing.err).toMatch(/cannot read/);
    const side = await cli("ai", "analyze", dcm, "--side", "X");
    expect(side.status).toBe(1);
    expect(side.err).toMatch(/--side/);
  });
});

describe("btt ai models", () => {
  let chain: CliChain;
  const sha = "43a5090e9d7fb4ee728830880a064711b57c9b0fa2dd372df2f5cff96ea483e1";
  beforeAll(async () => {
    chain = await startCliChain({
      prefix: "btt-cli-ai-models-",
      passphrase: "ai passphrase",
      blockIntervalMs: 50,
      editGenesis: (g) => {
        g.app_state.ai = {
          models: [
            {
              id: "btt.dental.caries.bitewing",
              owner: g.app_state.auth.accounts[0].address,
              task: "caries-detection",
              modalities: ["IO"],
              registered_at_ms: "0",
              versions: [
                {
                  version: "0.1.0",
                  sha256: sha,
                  card_sha256: sha,
                  size_bytes: "713000",
                  published_at_ms: "0",
                },
              ],
            },
          ],
          consensus: [
            { model_id: "btt.dental.caries.bitewing", version: "0.1.0", confirmed: "8", reviewed: "10" },
          ],
          params: { confidence_weights: { caries: { alpha_ppm: 500_000, beta_ppm: 500_000 } } },
        };
      },
    });
    // Genesis state is committed with the first block: wait for it (the driver runs every 50 ms).
    while (chain.node.height < 1) await new Promise((r) => setTimeout(r, 20));
  });
  afterAll(() => chain?.close());

  it("lists registered models with their pinned versions", async () => {
    const r = await cli("ai", "models");
    expect(r.status).toBe(0);
    expect(r.out).toContain("btt.dental.caries.bitewing  caries-detection  [IO]");
    expect(r.out).toContain(`0.1.0  active  sha256 ${sha}`);
    const j = await json("ai", "models");
    expect(j.models[0].versions[0]).toMatchObject({ version: "0.1.0", sha256: sha });
  });

  it("analyze takes α, β and the verdict counts from the node's ai module", async () => {
    const r = await cli("ai", "analyze", dcm, "--out", join(dir, "out-node"));
    expect(r.status).toBe(0);
    expect(r.out).toContain("α 0.5, β 0.5, verdicts 8/10 confirmed: from the ai module at");
    expect(r.out).toContain("alpha 0.500  beta 0.500");
    expect(r.out).toContain("P_consensus 0.750");
  });
});
