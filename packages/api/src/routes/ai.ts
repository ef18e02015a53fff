// POST /v1/ai/analyze: radiograph bytes (DICOM, PNG, JPEG) in, FHIR R4 DiagnosticReport out.
// The model is opened once per server, on first use, and verified against its pinned SHA-256.
import { BttError } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { errorResponses } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

/** Largest accepted upload (a 16-bit 4k×4k DICOM is 32 MiB). */
export const AI_MAX_UPLOAD_BYTES = 48 * 1024 * 1024;

const IMAGE_TYPES = ["application/dicom", "image/png", "image/jpeg"] as const;

/** The diagnostic modules served (the keys of @btt/ai's ANALYZERS; the ai route test checks they agree). */
export const AI_MODULES = [
  "caries",
  "periodontal",
  "endodontic",
  "oral-pathology",
  "orthodontic",
  "ct",
] as const;

const AnalyzeQuery = Type.Object(
  {
    module: Type.Optional(
      Type.Union(
        AI_MODULES.map((m) => Type.Literal(m)),
        { description: "the diagnostic module (default caries)" },
      ),
    ),
    side: Type.Optional(
      Type.Union([Type.Literal("R"), Type.Literal("L")], {
        description: "bitewing side when the file does not say (DICOM Image Laterality)",
      }),
    ),
    overlay: Type.Optional(
      Type.Boolean({ description: "add the overlay PNG (boxes, FDI labels) as presentedForm" }),
    ),
  },
  { additionalProperties: false },
);

const DiagnosticReport = Type.Object(
  { resourceType: Type.Literal("DiagnosticReport") },
  {
    additionalProperties: true,
    description:
      "FHIR R4 DiagnosticReport (α, β and the confirmation counts behind P_consensus come from the ai module's state): a contained Device (model id, version, SHA-256), an image-quality Observation, " +
      "and one Observation per finding (FDI tooth as bodySite; C, alpha, beta, I_quality, D_confidence, " +
      "P_consensus, U_factor and their inputs as components)",
  },
);

type Analyzer = import("@btt/ai").Analyzer;

export async function aiRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // One pipeline per module, opened on its first request and verified against its pinned SHA-256.
  const opening = new Map<string, Promise<Analyzer>>();
  const analyzer = (module: string) => {
    let p = opening.get(module);
    if (!p) {
      p = import("@btt/ai").then((ai) => {
        const open = ai.ANALYZERS[module];
        if (!open) throw new BttError("INVALID_REQUEST", `no diagnostic module "${module}"`, { module });
        return open();
      });
      // A failed load (e.g. hash mismatch) is retried by the next request.
      p.catch(() => opening.delete(module));
      opening.set(module, p);
    }
    return p;
  };
  app.addHook("onClose", async () => {
    for (const p of opening.values()) await (await p.catch(() => undefined))?.close();
  });

  // Own scope: the image content types are parsed here only (octet-stream is the tx route's).
  await app.register(async (scope) => {
    scope.addContentTypeParser([...IMAGE_TYPES], { parseAs: "buffer" }, (_req, body, done) =>
      done(null, body),
    );
    scope.post<{ Body: Buffer; Querystring: Static<typeof AnalyzeQuery> }>(
      "/ai/analyze",
      {
        bodyLimit: AI_MAX_UPLOAD_BYTES,
        schema: {
          tags: ["ai"],
          summary: "Analyze a radiograph with a diagnostic module (caries by default)",
          description:
            "Body: the file's bytes as application/dicom, image/png, image/jpeg or application/octet-stream " +
            `(at most ${AI_MAX_UPLOAD_BYTES} bytes, 32..8192 px a side). 200 → DiagnosticReport. ` +
            "A file that is not DICOM or an image, truncated, of an unsupported transfer syntax, too small or too large " +
            "→ 422 INVALID_IMAGE with details.reason; a body over the limit → 413. The model is trained on synthetic " +
            "data: not for clinical use.",
          querystring: AnalyzeQuery,
          body: {
            content: Object.fromEntries(
              [...IMAGE_TYPES, "application/octet-stream"].map((t) => [
                t,
                { schema: { type: "string", format: "binary" } },
              ]),
            ),
          },
          response: { 200: DiagnosticReport, ...errorResponses },
        },
      },
      async (request) => {
        const q = request.query;
        const module = q.module ?? "caries";
        const bytes = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength);
        const a = await analyzer(module);
        const ai = await import("@btt/ai");
        // α, β (ppm) and the clinicians' counts for this model version, from this node's state.
        const card = a.model.card;
        const terms = ai.termsFromChain(
          ctx.node.query("ai", "params", {}),
          ctx.node.query("ai", "consensus", { model_id: card.id, version: card.version }),
          module,
        );
        const res = await a.analyze(bytes, { ...(q.side ? { side: q.side } : {}), ...terms });
        if (!q.overlay) return res.report;
        const png = Buffer.from(await res.overlay());
        return {
          ...res.report,
          presentedForm: [{ contentType: "image/png", title: "overlay", data: png.toString("base64") }],
        };
      },
    );
  });
}
