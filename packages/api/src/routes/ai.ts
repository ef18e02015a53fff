// POST /v1/ai/analyze: radiograph bytes (DICOM, PNG, JPEG) in, FHIR R4 DiagnosticReport out.
// The model is opened once per server, on first use, and verified against its pinned SHA-256.
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { errorResponses } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

/** Largest accepted upload (a 16-bit 4k×4k DICOM is 32 MiB). */
export const AI_MAX_UPLOAD_BYTES = 48 * 1024 * 1024;

const IMAGE_TYPES = ["application/dicom", "image/png", "image/jpeg"] as const;

const AnalyzeQuery = Type.Object(
  {
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

type Pipeline = import("@btt/ai").CariesPipeline;

export async function aiRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  let opening: Promise<Pipeline> | undefined;
  const pipeline = () => {
    opening ??= import("@btt/ai").then((ai) => ai.CariesPipeline.open());
    opening.catch(() => {
      opening = undefined; // a failed load (e.g. hash mismatch) is retried by the next request
    });
    return opening;
  };
  app.addHook("onClose", async () => {
    if (opening) await (await opening.catch(() => undefined))?.close();
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
          summary: "Analyze a radiograph (caries, bitewing)",
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
        const bytes = new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength);
        const p = await pipeline();
        const ai = await import("@btt/ai");
        // α, β (ppm) and the clinicians' counts for this model version, from this node's state.
        const card = p.model.card;
        const terms = ai.termsFromChain(
          ctx.node.query("ai", "params", {}),
          ctx.node.query("ai", "consensus", { model_id: card.id, version: card.version }),
          "caries",
        );
        const res = await p.analyze(bytes, { ...(q.side ? { side: q.side } : {}), ...terms });
        if (!q.overlay) return res.report;
        const png = await ai.renderOverlay(
          res.display,
          res.findings.map((f) => ({ box: f.box, tooth: f.tooth, label: f.severity })),
        );
        return {
          ...res.report,
          presentedForm: [{ contentType: "image/png", title: "overlay", data: png.toString("base64") }],
        };
      },
    );
  });
}
