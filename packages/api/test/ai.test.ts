// POST /v1/ai/analyze on a real server: generated radiographs in, DiagnosticReports out; files
// that are not images, truncated DICOM and oversized bodies get clear errors, and the server
// keeps answering.
import {
  ANALYZERS,
  CARIES_CARD,
  ctBenchmarkInput,
  endoBenchmarkInput,
  generateBitewing,
  oralPathBenchmarkInput,
  orthoBenchmarkInput,
  perioBenchmarkInput,
  readCard,
  TransferSyntax,
  writeDicom,
} from "@btt/ai";
import { aiMsg } from "@btt/modules";
import { BttClient, identity } from "@btt/sdk";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AI_MAX_UPLOAD_BYTES, AI_MODULES } from "../src/routes/ai.ts";
import { type Json, startTestApi, type TestApi } from "./helpers.ts";

const synth = generateBitewing(4242, { lesions: 3, side: "R" });
const dicom = () =>
  writeDicom({
    rows: synth.image.height,
    cols: synth.image.width,
    frames: [Array.from(synth.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
    bitsStored: 12,
    laterality: "R",
    transferSyntax: TransferSyntax.EXPLICIT_LE,
  });

describe("POST /v1/ai/analyze", () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(() => t?.close());

  const post = async (body: Uint8Array | string, type: string, query = "") => {
    const res = await fetch(`${t.url}/v1/ai/analyze${query}`, {
      method: "POST",
      headers: { "content-type": type },
      body: typeof body === "string" ? body : Buffer.from(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };

  it("turns DICOM bytes into a DiagnosticReport with every term, P_consensus from clinicians' verdicts on chain", async () => {
    const client = new BttClient({ url: t.url });
    const [authority, dentist, stranger] = t.chain.accounts as [
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
    ];
    const card = await readCard(CARIES_CARD);
    await client.signAndSubmit(
      authority,
      [
        aiMsg.registerModel({ modelId: card.id, task: "caries-detection", modalities: ["IO"] }),
        aiMsg.publishVersion({
          modelId: card.id,
          version: card.version,
          sha256: card.sha256,
          cardSha256: card.sha256,
          sizeBytes: BigInt(card.sizeBytes),
        }),
        identity.issueCredential({
          subject: dentist.address,
          type: "practitioner_licence",
          jurisdiction: "DE",
          expiresAtMs: 4_000_000_000_000,
        }),
      ],
      { wait: true },
    );
    const verdict = (i: number, confirmed: boolean) =>
      aiMsg.confirmFinding({
        reportId: "rep-1",
        findingIndex: i,
        confirmed,
        modelId: card.id,
        modelVersion: card.version,
      });
    await expect(client.signAndSubmit(stranger, [verdict(0, true)], { wait: true })).rejects.toThrow(
      /UNAUTHORIZED: .*practitioner_licence/,
    );
    await client.signAndSubmit(dentist, [verdict(0, true), verdict(1, false), verdict(2, true)], {
      wait: true,
    });
    await expect(client.signAndSubmit(dentist, [verdict(1, true)], { wait: true })).rejects.toThrow(
      /CONFLICT/,
    );

    const { status, body } = await post(await dicom(), "application/dicom");
    expect(status).toBe(200);
    expect(body.resourceType).toBe("DiagnosticReport");
    const findings = body.contained.filter((c: Json) => c.id?.startsWith("finding-"));
    expect(findings.length).toBeGreaterThanOrEqual(3);
    for (const o of findings) {
      const terms = Object.fromEntries(o.component.map((c: Json) => [c.code.text, c.valueQuantity?.value]));
      for (const k of ["C", "alpha", "beta", "I_quality", "D_confidence", "P_consensus", "U_factor"])
        expect(typeof terms[k]).toBe("number");
      expect(terms.P_consensus).toBeCloseTo(3 / 5, 4); // 2 confirmed of 3 reviewed: (2+1)/(3+2)
      expect([terms.alpha, terms.beta]).toEqual([0.6, 0.4]); // the chain's 600000 / 400000 ppm
      expect([terms.consensus_confirmed, terms.consensus_reviewed]).toEqual([2, 3]);
      const c =
        terms.alpha * terms.I_quality * terms.D_confidence +
        terms.beta * terms.P_consensus * (1 - terms.U_factor);
      expect(terms.C).toBeCloseTo(c, 3);
      expect(o.bodySite.coding[0].code).toMatch(/^[14][4-7]$/);
    }
    expect(body.presentedForm).toBeUndefined();
  });

  it("accepts PNG as octet-stream and adds the overlay on request", async () => {
    const png = await sharp(
      Buffer.from(Array.from(synth.image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))),
      { raw: { width: synth.image.width, height: synth.image.height, channels: 1 } },
    )
      .png()
      .toBuffer();
    const { status, body } = await post(png, "application/octet-stream", "?side=R&overlay=true");
    expect(status).toBe(200);
    const form = body.presentedForm[0];
    expect(form.contentType).toBe("image/png");
    const meta = await sharp(Buffer.from(form.data, "base64")).metadata();
    expect([meta.width, meta.height]).toEqual([synth.image.width, synth.image.height]);
  });

  it("serves every diagnostic module by ?module=, each with its own pinned model", async () => {
    expect([...AI_MODULES].sort()).toEqual(Object.keys(ANALYZERS).sort());
    const { status, body } = await post(
      await perioBenchmarkInput(7),
      "application/dicom",
      "?module=periodontal&overlay=true",
    );
    expect(status).toBe(200);
    const device = body.contained.find((r: Json) => r.resourceType === "Device");
    expect(JSON.stringify(device)).toContain("btt.dental.periodontal");
    expect(body.contained.filter((r: Json) => r.resourceType === "Observation").length).toBeGreaterThan(1);
    expect(body.presentedForm[0].contentType).toBe("image/png");
    // Every other module answers its own input with a report from its own model.
    const inputs: Record<string, (seed: number) => Promise<Uint8Array>> = {
      endodontic: endoBenchmarkInput,
      "oral-pathology": oralPathBenchmarkInput,
      orthodontic: orthoBenchmarkInput,
      ct: ctBenchmarkInput,
    };
    for (const [module, input] of Object.entries(inputs)) {
      const r = await post(await input(3), "application/dicom", `?module=${module}&overlay=true`);
      expect(r.status, `${module}: ${JSON.stringify(r.body).slice(0, 200)}`).toBe(200);
      expect(r.body.resourceType).toBe("DiagnosticReport");
      expect(r.body.presentedForm[0].contentType).toBe("image/png");
    }
    const unknown = await post(await perioBenchmarkInput(7), "application/dicom", "?module=astrology");
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/module/);
  });

  it("refuses bad input with a clear error and keeps serving", async () => {
    const notImage = await post("this is not an image", "image/png");
    expect(notImage.status).toBe(422);
    expect(notImage.body).toMatchObject({ code: "INVALID_IMAGE", details: { reason: "not_an_image" } });
    const d = await dicom();
    const truncated = await post(d.subarray(0, d.length - 1000), "application/dicom");
    expect(truncated.status).toBe(422);
    expect(truncated.body).toMatchObject({ code: "INVALID_IMAGE", details: { reason: "truncated" } });
    expect(truncated.body.message).toMatch(/truncated/);
    const empty = await post(new Uint8Array(0), "application/dicom");
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
    const tooBig = await post(new Uint8Array(AI_MAX_UPLOAD_BYTES + 1), "application/dicom");
    expect(tooBig.status).toBe(413);
    const badQuery = await post(d, "application/dicom", "?side=X");
    expect(badQuery.status).toBe(400);
    const wrongType = await post("{}", "application/json");
    expect(wrongType.status).toBeGreaterThanOrEqual(400);
    expect(wrongType.status).toBeLessThan(500);
    expect((await post(d, "application/dicom")).status).toBe(200);
  });
});
