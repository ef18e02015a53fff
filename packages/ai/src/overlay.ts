// The overlay a viewer shows beside the report: the radiograph (display image, canonical
// orientation, the frame the boxes refer to) with each finding's box and its FDI tooth label.
import sharp from "sharp";
import type { Image } from "./study.ts";

export interface OverlayFinding {
  box: readonly [number, number, number, number];
  tooth?: number;
  /** Short text after the tooth number, e.g. severity and C. */
  label?: string;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const SEVERITY_COLOURS = ["#ffd400", "#ff8c00", "#ff2020"];

/** PNG bytes: grey radiograph, one coloured box per finding, numbered "n · FDI tooth · label". */
export async function renderOverlay(
  image: Image,
  findings: readonly OverlayFinding[],
  colourIndex: (f: OverlayFinding, i: number) => number = () => 2,
): Promise<Buffer> {
  const { width, height } = image;
  const grey = Buffer.alloc(width * height);
  for (let i = 0; i < grey.length; i++) {
    const v = image.data[i]!;
    grey[i] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 200));
  const font = Math.max(10, Math.round(Math.min(width, height) / 22));
  const shapes = findings.map((f, i) => {
    const [x, y, w, h] = f.box.map((v) => Math.round(v * 10) / 10);
    const colour = SEVERITY_COLOURS[colourIndex(f, i)] ?? SEVERITY_COLOURS[2]!;
    const text = escapeXml(
      [`${i + 1}`, f.tooth !== undefined ? `FDI ${f.tooth}` : undefined, f.label].filter(Boolean).join(" · "),
    );
    // The label sits above the box, or inside its top edge when the box touches the top.
    const ty = y! - stroke - 2 >= font ? y! - stroke - 2 : y! + h! + font;
    // Boxes in the right half get their label right-aligned, so it stays inside the image.
    const right = x! + w! / 2 > width / 2;
    const tx = right ? x! + w! : x!;
    return (
      `<rect x="${x}" y="${y}" width="${w}" height="${h}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>` +
      `<text x="${tx}" y="${ty}" text-anchor="${right ? "end" : "start"}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="${colour}" ` +
      `stroke="#000" stroke-width="${Math.max(1, font / 12)}" paint-order="stroke">${text}</text>`
    );
  });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join("")}</svg>`;
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .toColourspace("srgb")
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}
