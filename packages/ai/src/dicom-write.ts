// Writes DICOM Part 10 files with dcmjs: used by the synthetic-data tools and the tests to make
// files in each supported transfer syntax.
import { createRequire } from "node:module";
import sharp from "sharp";
import { TransferSyntax } from "./dicom.ts";
import { encodeRleFrame } from "./rle.ts";

const require = createRequire(import.meta.url);
// dcmjs ships no types; the few calls used here are typed locally.
const dcmjs = require("dcmjs") as {
  data: {
    DicomDict: new (meta: unknown) => { dict: unknown; write(opts?: unknown): ArrayBuffer };
    DicomMetaDictionary: { denaturalizeDataset(ds: unknown): unknown; uid(): string };
  };
};

export interface DicomSpec {
  rows: number;
  cols: number;
  /** Stored sample values per frame (one sample per pixel, or RGB interleaved when samples = 3). */
  frames: ArrayLike<number>[];
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  signed?: boolean;
  samples?: 1 | 3;
  photometric?: string;
  transferSyntax?: string;
  slope?: number;
  intercept?: number;
  window?: { center: number; width: number };
  modality?: string;
  manufacturer?: string;
  model?: string;
  laterality?: string;
  orientation?: [string, string];
  pixelSpacingMm?: [number, number];
  /** JPEG quality when transferSyntax is JPEG baseline. */
  jpegQuality?: number;
  /** Cross-sectional series (CT, MR): the tags that group and order slices. */
  sopClassUid?: string;
  studyUid?: string;
  seriesUid?: string;
  instanceNumber?: number;
  /** Position of the first pixel (mm, patient coordinates). */
  imagePositionPatient?: [number, number, number];
  /** Row then column direction cosines. */
  imageOrientationPatient?: [number, number, number, number, number, number];
  sliceThicknessMm?: number;
  spacingBetweenSlicesMm?: number;
  bodyPart?: string;
  seriesDescription?: string;
  /** Multi-frame: each frame's position (Per-frame Functional Groups, Plane Position). */
  framePositions?: [number, number, number][];
}

function frameBytes(values: ArrayLike<number>, bytesPerSample: number): Uint8Array {
  const out = new Uint8Array(values.length * bytesPerSample);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]!);
    if (bytesPerSample === 2) view.setUint16(i * 2, v & 0xffff, true);
    else out[i] = v & 0xff;
  }
  return out;
}

export async function writeDicom(spec: DicomSpec): Promise<Uint8Array> {
  const ts = spec.transferSyntax ?? TransferSyntax.EXPLICIT_LE;
  const samples = spec.samples ?? 1;
  const bitsAllocated = ts === TransferSyntax.JPEG_BASELINE ? 8 : (spec.bitsAllocated ?? 16);
  const bytesPerSample = bitsAllocated / 8;
  const bitsStored = Math.min(spec.bitsStored ?? bitsAllocated, bitsAllocated);
  let photometric = spec.photometric ?? (samples === 3 ? "RGB" : "MONOCHROME2");
  let pixelData: ArrayBuffer[];
  if (ts === TransferSyntax.RLE) {
    pixelData = spec.frames.map((f) => {
      const enc = encodeRleFrame(frameBytes(f, bytesPerSample), samples, bytesPerSample);
      return enc.buffer.slice(enc.byteOffset, enc.byteOffset + enc.byteLength) as ArrayBuffer;
    });
  } else if (ts === TransferSyntax.JPEG_BASELINE) {
    pixelData = [];
    for (const f of spec.frames) {
      const raw = Buffer.from(frameBytes(f, 1));
      const jpg = await sharp(raw, { raw: { width: spec.cols, height: spec.rows, channels: samples } })
        .jpeg({ quality: spec.jpegQuality ?? 95, chromaSubsampling: "4:4:4" })
        .toBuffer();
      pixelData.push(jpg.buffer.slice(jpg.byteOffset, jpg.byteOffset + jpg.byteLength) as ArrayBuffer);
    }
    if (samples === 3) photometric = "YBR_FULL_422";
  } else {
    const all = new Uint8Array(spec.frames.length * spec.rows * spec.cols * samples * bytesPerSample);
    spec.frames.forEach((f, i) => {
      all.set(frameBytes(f, bytesPerSample), i * spec.rows * spec.cols * samples * bytesPerSample);
    });
    pixelData = [all.buffer];
  }
  // Digital Intra-Oral X-Ray Image Storage - For Presentation, unless the spec names another.
  const sopClass = spec.sopClassUid ?? "1.2.840.10008.5.1.4.1.1.1.3";
  const instance = dcmjs.data.DicomMetaDictionary.uid();
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClass,
    MediaStorageSOPInstanceUID: instance,
    TransferSyntaxUID: ts,
    ImplementationClassUID: "2.25.1234567890",
    ImplementationVersionName: "BTT-AI",
  };
  const ds: Record<string, unknown> = {
    SOPClassUID: sopClass,
    SOPInstanceUID: instance,
    StudyInstanceUID: spec.studyUid ?? dcmjs.data.DicomMetaDictionary.uid(),
    SeriesInstanceUID: spec.seriesUid ?? dcmjs.data.DicomMetaDictionary.uid(),
    Modality: spec.modality ?? "IO",
    Manufacturer: spec.manufacturer ?? "BTT synthetic",
    ManufacturerModelName: spec.model ?? "synth-1",
    Rows: spec.rows,
    Columns: spec.cols,
    SamplesPerPixel: samples,
    PhotometricInterpretation: photometric,
    BitsAllocated: bitsAllocated,
    BitsStored: bitsStored,
    HighBit: bitsStored - 1,
    PixelRepresentation: spec.signed ? 1 : 0,
    PixelData: pixelData,
    _vrMap: { PixelData: bitsAllocated === 8 || ts !== TransferSyntax.EXPLICIT_LE ? "OB" : "OW" },
  };
  if (samples === 3) ds.PlanarConfiguration = 0;
  if (spec.frames.length > 1) ds.NumberOfFrames = String(spec.frames.length);
  if (spec.slope !== undefined) ds.RescaleSlope = String(spec.slope);
  if (spec.intercept !== undefined) ds.RescaleIntercept = String(spec.intercept);
  if (spec.window) {
    ds.WindowCenter = String(spec.window.center);
    ds.WindowWidth = String(spec.window.width);
  }
  if (spec.laterality) ds.ImageLaterality = spec.laterality;
  if (spec.orientation) ds.PatientOrientation = spec.orientation;
  if (spec.pixelSpacingMm) ds.PixelSpacing = spec.pixelSpacingMm.map(String);
  addSeriesTags(ds, spec);
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write({ fragmentMultiframe: false }));
}

/** DS values as dcmjs writes them: decimal strings of at most 16 characters. */
const ds16 = (v: number) => String(Number(v.toPrecision(10)));

function addSeriesTags(ds: Record<string, unknown>, spec: DicomSpec): void {
  if (spec.instanceNumber !== undefined) ds.InstanceNumber = String(spec.instanceNumber);
  if (spec.imagePositionPatient) ds.ImagePositionPatient = spec.imagePositionPatient.map(ds16);
  if (spec.imageOrientationPatient) ds.ImageOrientationPatient = spec.imageOrientationPatient.map(ds16);
  if (spec.sliceThicknessMm !== undefined) ds.SliceThickness = ds16(spec.sliceThicknessMm);
  if (spec.spacingBetweenSlicesMm !== undefined) ds.SpacingBetweenSlices = ds16(spec.spacingBetweenSlicesMm);
  if (spec.bodyPart) ds.BodyPartExamined = spec.bodyPart;
  if (spec.seriesDescription) ds.SeriesDescription = spec.seriesDescription;
  if (spec.framePositions)
    ds.PerFrameFunctionalGroupsSequence = spec.framePositions.map((p) => ({
      PlanePositionSequence: [{ ImagePositionPatient: p.map(ds16) }],
    }));
}
