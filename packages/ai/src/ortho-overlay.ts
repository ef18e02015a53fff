// The cephalometric overlay a viewer shows beside the report: the radiograph with each landmark
// (a ring as wide as its 2σ, so an unsure landmark looks unsure), the S–N, N–A and N–B lines the
// angles are measured between, and the angles and class in a corner.
import sharp from "sharp";
import type { OrthoFinding, OrthoLandmarkResult } from "./ortho-pipeline.ts";
import type { Image } from "./study.ts";

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** PNG bytes: grey radiograph, landmarks, reference lines and the measures. */
export async function renderCephOverlay(
  image: Image,
  landmarks: readonly OrthoLandmarkResult[],
  findings: readonly OrthoFinding[],
  pixelSpacingMm: [number, number],
): Promise<Buffer> {
  const { width, height } = image;
  const grey = Buffer.alloc(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * 255);
  const font = Math.max(9, Math.round(Math.min(width, height) / 40));
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 400));
  const at = new Map(landmarks.map((l) => [l.name, l.px]));
  const line = (a: string, b: string, colour: string) => {
    const p = at.get(a as never);
    const q = at.get(b as never);
    return p && q
      ? `<line x1="${p[0].toFixed(1)}" y1="${p[1].toFixed(1)}" x2="${q[0].toFixed(1)}" y2="${q[1].toFixed(1)}" stroke="${colour}" stroke-width="${stroke}" stroke-dasharray="${4 * stroke}"/>`
      : "";
  };
  const marks = landmarks.map((l) => {
    const r = Math.max(2 * stroke, (2 * l.sigmaMm) / pixelSpacingMm[1]);
    const colour = l.score >= 0.7 ? "#40ff60" : l.score >= 0.4 ? "#ffd400" : "#ff4040";
    const [x, y] = l.px.map((v) => v.toFixed(1));
    return (
      `<circle cx="${x}" cy="${y}" r="${r.toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<circle cx="${x}" cy="${y}" r="${stroke}" fill="${colour}"/>` +
      `<text x="${(l.px[0] + r + 2).toFixed(1)}" y="${(l.px[1] - 2).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" stroke="#000" stroke-width="${Math.max(1, font / 12)}" paint-order="stroke">${escapeXml(l.name)}</text>`
    );
  });
  const summary = findings.map((f) =>
    f.measure === "skeletal-class"
      ? `skeletal Class ${f.skeletalClass} (P ${f.score.toFixed(2)}, C ${f.confidence.C.toFixed(2)})`
      : `${f.measure} ${f.valueDeg.toFixed(1)}° ±${f.sigmaDeg.toFixed(1)} (C ${f.confidence.C.toFixed(2)})`,
  );
  const text = summary
    .map(
      (s, i) =>
        `<text x="${font / 2}" y="${(i + 1.3) * font * 1.25}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#fff" stroke="#000" stroke-width="${Math.max(1, font / 12)}" paint-order="stroke">${escapeXml(s)}</text>`,
    )
    .join("");
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
    line("S", "N", "#7fd4ff") +
    line("N", "A", "#7fd4ff") +
    line("N", "B", "#ff9f7f") +
    marks.join("") +
    text +
    "</svg>";
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .toColourspace("srgb")
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
