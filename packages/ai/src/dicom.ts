// DICOM Part 10 reading with dicom-parser: metadata, frames and pixel decoding for the
// uncompressed little-endian syntaxes, RLE Lossless and JPEG baseline (jpeg-js).
import { createRequire } from "node:module";
import type * as DicomParser from "dicom-parser";
import type * as JpegJs from "jpeg-js";
import { imageError } from "./errors.ts";
import { checkSize, type SizeLimits } from "./limits.ts";
import { decodeRleFrame } from "./rle.ts";
import type { Frame, SliceGeometry, Study } from "./study.ts";

const require = createRequire(import.meta.url);
const dicomParser = require("dicom-parser") as typeof DicomParser;
const jpeg = require("jpeg-js") as typeof JpegJs;

export const TransferSyntax = {
  IMPLICIT_LE: "1.2.840.10008.1.2",
  EXPLICIT_LE: "1.2.840.10008.1.2.1",
  RLE: "1.2.840.10008.1.2.5",
  JPEG_BASELINE: "1.2.840.10008.1.2.4.50",
} as const;

const SUPPORTED = new Set<string>(Object.values(TransferSyntax));

export function isDicom(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d
  );
}

function parse(bytes: Uint8Array): DicomParser.DataSet {
  try {
    return dicomParser.parseDicom(bytes);
  } catch (err) {
    // dicom-parser throws strings or Errors; a read past the end means the file was cut short.
    const msg =
      err instanceof Error
        ? err.message
        : typeof err === "string"
          ? err
          : String((err as { exception?: unknown })?.exception ?? err);
    if (/past end|buffer overread|end of buffer|eof|overrun/i.test(msg)) {
      throw imageError("truncated", `DICOM file is truncated: ${msg}`);
    }
    throw imageError("malformed", `not a readable DICOM Part 10 file: ${msg}`);
  }
}

function str(ds: DicomParser.DataSet, tag: string): string | undefined {
  const v = ds.string(tag);
  return v === undefined || v === "" ? undefined : v.trim();
}

function num(ds: DicomParser.DataSet, tag: string, index = 0): number | undefined {
  const v = ds.floatString(tag, index);
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

function pair(ds: DicomParser.DataSet, tag: string): [number, number] | undefined {
  const a = num(ds, tag, 0);
  const b = num(ds, tag, 1);
  return a !== undefined && b !== undefined ? [a, b] : undefined;
}

export function readDicom(bytes: Uint8Array, limits?: Partial<SizeLimits>): Study {
  if (!isDicom(bytes))
    throw imageError("not_an_image", "not a DICOM Part 10 file (no DICM prefix at byte 128)");
  const ds = parse(bytes);
  const ts = str(ds, "x00020010")?.replace(/\0/g, "");
  if (!ts) throw imageError("malformed", "DICOM file has no transfer syntax (0002,0010)");
  if (!SUPPORTED.has(ts)) {
    throw imageError("unsupported_transfer_syntax", `transfer syntax ${ts} is not supported`, {
      transferSyntax: ts,
      supported: [...SUPPORTED],
    });
  }
  const pixelEl = ds.elements.x7fe00010;
  if (!pixelEl) throw imageError("no_pixel_data", "DICOM file has no pixel data (7FE0,0010)");
  const rows = ds.uint16("x00280010") ?? 0;
  const cols = ds.uint16("x00280011") ?? 0;
  const frames = Math.max(1, ds.intString("x00280008") ?? 1);
  checkSize(cols, rows, frames, limits);
  const samples = ds.uint16("x00280002") ?? 1;
  const bitsAllocated = ds.uint16("x00280100") ?? 16;
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const signed = (ds.uint16("x00280103") ?? 0) === 1;
  const planar = (ds.uint16("x00280006") ?? 0) === 1;
  const photometric = str(ds, "x00280004") ?? "MONOCHROME2";
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw imageError(
      "unsupported_pixel_format",
      `bits allocated ${bitsAllocated} is not supported (8 or 16)`,
    );
  }
  const mono = photometric === "MONOCHROME1" || photometric === "MONOCHROME2";
  const colour = ["RGB", "YBR_FULL", "YBR_FULL_422"].includes(photometric);
  if (!(mono && samples === 1) && !(colour && samples === 3)) {
    throw imageError(
      "unsupported_pixel_format",
      `photometric interpretation ${photometric} with ${samples} samples is not supported`,
    );
  }
  if (bitsStored > bitsAllocated || bitsStored < 1)
    throw imageError("malformed", `bits stored ${bitsStored} out of range`);
  if (pixelEl.dataOffset + pixelEl.length > bytes.length && !pixelEl.encapsulatedPixelData) {
    throw imageError("truncated", "pixel data runs past the end of the file");
  }
  const slope = num(ds, "x00281053") ?? 1;
  const intercept = num(ds, "x00281052") ?? 0;
  const pixels = rows * cols;
  const bytesPerSample = bitsAllocated / 8;
  const frameBytes = pixels * samples * bytesPerSample;

  const out: Frame[] = [];
  const encapsulated = ts === TransferSyntax.RLE || ts === TransferSyntax.JPEG_BASELINE;
  if (!encapsulated && pixelEl.length < frameBytes * frames) {
    throw imageError(
      "truncated",
      `pixel data holds ${pixelEl.length} bytes, ${frameBytes * frames} expected`,
    );
  }
  const fragments = pixelEl.fragments ?? [];
  const bot =
    encapsulated && (pixelEl.basicOffsetTable?.length ?? 0) === 0 && fragments.length !== frames
      ? dicomParser.createJPEGBasicOffsetTable(ds, pixelEl)
      : undefined;
  for (let f = 0; f < frames; f++) {
    let raw: Uint8Array;
    let sampleBytes = bytesPerSample;
    let interleaved = !planar;
    if (!encapsulated) {
      raw = bytes.subarray(pixelEl.dataOffset + f * frameBytes, pixelEl.dataOffset + (f + 1) * frameBytes);
    } else {
      let encoded: Uint8Array;
      try {
        encoded =
          bot !== undefined
            ? dicomParser.readEncapsulatedImageFrame(ds, pixelEl, f, bot)
            : (pixelEl.basicOffsetTable?.length ?? 0) > 0
              ? dicomParser.readEncapsulatedImageFrame(ds, pixelEl, f)
              : dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixelEl, f, 1);
      } catch (err) {
        throw imageError(
          "truncated",
          `cannot read encapsulated frame ${f}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      if (ts === TransferSyntax.RLE) {
        // RLE frames come out interleaved whatever the planar configuration says.
        raw = decodeRleFrame(encoded, pixels, samples, bytesPerSample);
        interleaved = true;
      } else {
        raw = decodeJpeg(encoded, cols, rows, samples);
        sampleBytes = 1;
        interleaved = true;
      }
    }
    out.push({
      width: cols,
      height: rows,
      values: toValues(
        raw,
        pixels,
        samples,
        sampleBytes,
        interleaved,
        bitsStored,
        signed,
        slope,
        intercept,
        !mono,
      ),
    });
  }

  const orientation = str(ds, "x00200020")?.split("\\");
  const window = num(ds, "x00281050");
  const windowWidth = num(ds, "x00281051");
  return {
    format: "dicom",
    modality: str(ds, "x00080060") ?? "OT",
    equipment: {
      manufacturer: str(ds, "x00080070"),
      model: str(ds, "x00081090"),
      station: str(ds, "x00081010"),
      software: str(ds, "x00181020"),
    },
    uids: { study: str(ds, "x0020000d"), series: str(ds, "x0020000e"), instance: str(ds, "x00080018") },
    bodyPart: str(ds, "x00180015"),
    laterality: str(ds, "x00200062") ?? str(ds, "x00200060"),
    orientation: orientation?.length === 2 ? [orientation[0]!, orientation[1]!] : undefined,
    pixelSpacingMm: pair(ds, "x00280030") ?? pair(ds, "x00181164"),
    photometric: mono ? photometric : "MONOCHROME2",
    bitsStored: mono ? bitsStored : 8,
    transferSyntax: ts,
    window:
      window !== undefined && windowWidth !== undefined && windowWidth > 0
        ? { center: window, width: windowWidth }
        : undefined,
    frames: out,
    geometry: sliceGeometry(ds, frames, { slope, intercept }),
  };
}

function triple(ds: DicomParser.DataSet | undefined, tag: string): [number, number, number] | undefined {
  if (!ds) return undefined;
  const v = [0, 1, 2].map((i) => num(ds, tag, i));
  return v.every((x) => x !== undefined) ? (v as [number, number, number]) : undefined;
}

/** First item of a sequence element, if the dataset has one. */
function item(ds: DicomParser.DataSet | undefined, tag: string): DicomParser.DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

/**
 * Slice position, orientation and spacing. A multi-frame file may give each frame's position in
 * its Per-frame Functional Groups (5200,9230) → Plane Position (0020,9113); otherwise only the
 * first frame's position is known from (0020,0032).
 */
function sliceGeometry(
  ds: DicomParser.DataSet,
  frames: number,
  rescale: { slope: number; intercept: number },
): SliceGeometry {
  const perFrame = ds.elements.x52009230?.items ?? [];
  const shared = item(ds, "x52009229");
  const framePositions = Array.from({ length: frames }, (_, f) => {
    const fromGroup = triple(item(perFrame[f]?.dataSet, "x00209113"), "x00200032");
    return fromGroup ?? (f === 0 ? triple(ds, "x00200032") : undefined);
  });
  const oriSource = ds.elements.x00200037 ? ds : item(shared, "x00209116");
  const ori = oriSource ? [0, 1, 2, 3, 4, 5].map((i) => num(oriSource, "x00200037", i)) : [];
  const thickness = num(ds, "x00180050") ?? num(item(shared, "x00289110") ?? ds, "x00180050");
  return {
    framePositions,
    orientation:
      ori.length === 6 && ori.every((v) => v !== undefined)
        ? (ori as [number, number, number, number, number, number])
        : undefined,
    instanceNumber: ds.intString("x00200013"),
    sliceThicknessMm: thickness,
    spacingBetweenSlicesMm: num(ds, "x00180088"),
    rescale: { ...rescale, type: str(ds, "x00281054") },
  };
}

function decodeJpeg(encoded: Uint8Array, cols: number, rows: number, samples: number): Uint8Array {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(encoded, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxMemoryUsageInMB: 1024,
    });
  } catch (err) {
    throw imageError(
      "malformed",
      `JPEG frame cannot be decoded: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (img.width !== cols || img.height !== rows) {
    throw imageError("malformed", `JPEG frame is ${img.width}x${img.height}, header says ${cols}x${rows}`);
  }
  // jpeg-js returns RGB triples (grey replicated); keep what the dataset's samples expect.
  if (samples === 3) return img.data;
  const grey = new Uint8Array(cols * rows);
  for (let i = 0; i < grey.length; i++) grey[i] = img.data[i * 3]!;
  return grey;
}

/** Stored samples → modality values (rescaled); colour → luminance (Rec. 601). */
function toValues(
  raw: Uint8Array,
  pixels: number,
  samples: number,
  bytesPerSample: number,
  interleaved: boolean,
  bitsStored: number,
  signed: boolean,
  slope: number,
  intercept: number,
  colour: boolean,
): Float32Array {
  const out = new Float32Array(pixels);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (index: number): number => {
    let v = bytesPerSample === 2 ? view.getUint16(index * 2, true) : raw[index]!;
    if (bytesPerSample === 2 || bitsStored < 8) {
      const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
      v &= mask;
      if (signed && v & (1 << (bitsStored - 1))) v -= 1 << bitsStored;
    } else if (signed && v & 0x80) v -= 256;
    return v;
  };
  if (colour) {
    for (let p = 0; p < pixels; p++) {
      const idx = (s: number) => (interleaved ? p * samples + s : s * pixels + p);
      out[p] = 0.299 * read(idx(0)) + 0.587 * read(idx(1)) + 0.114 * read(idx(2));
    }
    return out;
  }
  for (let p = 0; p < pixels; p++) out[p] = read(p) * slope + intercept;
  return out;
}
