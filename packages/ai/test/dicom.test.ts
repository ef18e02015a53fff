import { BttError } from "@btt/core";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { readDicom, TransferSyntax } from "../src/dicom.ts";
import { writeDicom } from "../src/dicom-write.ts";
import { toDisplay } from "../src/display.ts";
import { readStudy } from "../src/input.ts";

const ROWS = 48;
const COLS = 64;

/** A frame with smooth structure (JPEG-friendly) spanning the value range. */
function ramp(max: number, phase = 0): number[] {
  return Array.from({ length: ROWS * COLS }, (_, i) => {
    const x = i % COLS;
    const y = Math.floor(i / COLS);
    return Math.round(
      ((x / (COLS - 1)) * 0.7 + (y / (ROWS - 1)) * 0.3) * max * (1 - phase) + phase * max * 0.5,
    );
  });
}

function expectError(fn: () => unknown, reason: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BttError);
    expect((err as BttError).code).toBe("INVALID_IMAGE");
    expect((err as BttError).details.reason).toBe(reason);
    return;
  }
  throw new Error(`expected an INVALID_IMAGE error (${reason})`);
}

async function expectAsyncError(p: Promise<unknown>, reason: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BttError);
  expect((err as BttError).code).toBe("INVALID_IMAGE");
  expect((err as BttError).details.reason).toBe(reason);
}

const lossless = [TransferSyntax.IMPLICIT_LE, TransferSyntax.EXPLICIT_LE, TransferSyntax.RLE] as const;

describe("DICOM decoding", () => {
  for (const ts of lossless)
    for (const bits of [8, 16] as const)
      for (const photometric of ["MONOCHROME1", "MONOCHROME2"] as const) {
        it(`${ts} ${bits}-bit ${photometric}, two frames, exact`, async () => {
          const max = bits === 8 ? 255 : 4095;
          const f0 = ramp(max);
          const f1 = ramp(max, 0.5);
          const bytes = await writeDicom({
            rows: ROWS,
            cols: COLS,
            frames: [f0, f1],
            bitsAllocated: bits,
            bitsStored: bits === 8 ? 8 : 12,
            photometric,
            transferSyntax: ts,
          });
          const study = readDicom(bytes);
          expect(study.transferSyntax).toBe(ts);
          expect(study.frames).toHaveLength(2);
          expect(Array.from(study.frames[0]!.values)).toEqual(f0);
          expect(Array.from(study.frames[1]!.values)).toEqual(f1);
          // Display: min..max window; MONOCHROME1 inverted so that 1 is bright.
          const d = toDisplay(study, 0).data;
          const brightest = f0.indexOf(Math.max(...f0));
          expect(d[brightest]).toBeCloseTo(photometric === "MONOCHROME2" ? 1 : 0, 5);
        });
      }

  for (const photometric of ["MONOCHROME1", "MONOCHROME2"] as const)
    it(`JPEG baseline ${photometric}, two frames, within lossy tolerance`, async () => {
      const f0 = ramp(255);
      const f1 = ramp(255, 0.5);
      const bytes = await writeDicom({
        rows: ROWS,
        cols: COLS,
        frames: [f0, f1],
        photometric,
        transferSyntax: TransferSyntax.JPEG_BASELINE,
        jpegQuality: 95,
      });
      const study = readDicom(bytes);
      expect(study.frames).toHaveLength(2);
      for (const [k, f] of [f0, f1].entries()) {
        const v = study.frames[k]!.values;
        let maxErr = 0;
        for (let i = 0; i < f.length; i++) maxErr = Math.max(maxErr, Math.abs(v[i]! - f[i]!));
        expect(maxErr).toBeLessThanOrEqual(6);
      }
      expect(study.photometric).toBe(photometric);
    });

  it("JPEG baseline RGB (YBR_FULL_422) becomes luminance", async () => {
    const grey = ramp(255);
    const rgb = grey.flatMap((v) => [v, v, v]);
    const bytes = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [rgb],
      samples: 3,
      transferSyntax: TransferSyntax.JPEG_BASELINE,
    });
    const study = readDicom(bytes);
    expect(study.photometric).toBe("MONOCHROME2");
    const v = study.frames[0]!.values;
    for (let i = 0; i < grey.length; i += 97) expect(Math.abs(v[i]! - grey[i]!)).toBeLessThanOrEqual(6);
  });

  it("uncompressed RGB becomes luminance (Rec. 601)", async () => {
    const rgb = Array.from({ length: ROWS * COLS }, (_, i) => [i % 256, 0, 255 - (i % 256)]).flat();
    const bytes = await writeDicom({ rows: ROWS, cols: COLS, frames: [rgb], samples: 3, bitsAllocated: 8 });
    const v = readDicom(bytes).frames[0]!.values;
    expect(v[10]).toBeCloseTo(0.299 * 10 + 0.114 * 245, 3);
  });

  it("applies rescale slope/intercept and signed pixels (CT-like)", async () => {
    const stored = ramp(4000).map((v) => v - 2000);
    const bytes = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [stored],
      bitsStored: 16,
      signed: true,
      slope: 0.5,
      intercept: -100,
      modality: "CT",
      transferSyntax: TransferSyntax.EXPLICIT_LE,
    });
    const study = readDicom(bytes);
    expect(study.modality).toBe("CT");
    const v = study.frames[0]!.values;
    for (let i = 0; i < stored.length; i += 31) expect(v[i]).toBeCloseTo(stored[i]! * 0.5 - 100, 4);
    expect(Math.min(...v)).toBeLessThan(-500);
  });

  it("applies the file's VOI window (linear, PS3.3 C.11.2.1.2)", async () => {
    const f = ramp(4095);
    const bytes = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [f],
      bitsStored: 12,
      window: { center: 1000, width: 400 },
    });
    const study = readDicom(bytes);
    expect(study.window).toEqual({ center: 1000, width: 400 });
    const d = toDisplay(study).data;
    for (let i = 0; i < f.length; i++) {
      const x = f[i]!;
      const expected = x <= 999.5 - 199.5 ? 0 : x > 999.5 + 199.5 ? 1 : (x - 999.5) / 399 + 0.5;
      expect(d[i]).toBeCloseTo(expected, 5);
    }
    // An explicit window overrides the file's.
    const wide = toDisplay(study, 0, { center: 2048, width: 4096 }).data;
    expect(wide[0]).toBeCloseTo(0, 3);
  });

  it("keeps modality, equipment, laterality, orientation and spacing", async () => {
    const bytes = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [ramp(255)],
      bitsAllocated: 8,
      modality: "IO",
      manufacturer: "Acme Dental",
      model: "Sensor X2",
      laterality: "L",
      orientation: ["R", "F"],
      pixelSpacingMm: [0.02, 0.025],
    });
    const s = readDicom(bytes);
    expect(s.modality).toBe("IO");
    expect(s.equipment.manufacturer).toBe("Acme Dental");
    expect(s.equipment.model).toBe("Sensor X2");
    expect(s.laterality).toBe("L");
    expect(s.orientation).toEqual(["R", "F"]);
    expect(s.pixelSpacingMm).toEqual([0.02, 0.025]);
    expect(s.uids.instance).toMatch(/^[0-9.]+$/);
  });
});

describe("DICOM bad input", () => {
  it("refuses bytes that are not DICOM", async () => {
    expectError(() => readDicom(new Uint8Array(1000).fill(7)), "not_an_image");
    await expectAsyncError(
      readStudy(new TextEncoder().encode("hello, this is not an image at all")),
      "not_an_image",
    );
  });

  it("refuses a truncated file", async () => {
    const bytes = await writeDicom({ rows: ROWS, cols: COLS, frames: [ramp(4095)], bitsStored: 12 });
    expectError(() => readDicom(bytes.subarray(0, bytes.length - 500)), "truncated");
    const rle = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [ramp(4095)],
      transferSyntax: TransferSyntax.RLE,
    });
    expect(() => readDicom(rle.subarray(0, rle.length - 200))).toThrow(BttError);
  });

  it("refuses an unsupported transfer syntax, naming it", async () => {
    const bytes = await writeDicom({
      rows: ROWS,
      cols: COLS,
      frames: [ramp(255)],
      bitsAllocated: 8,
      transferSyntax: "1.2.840.10008.1.2.4.90",
    });
    expectError(() => readDicom(bytes), "unsupported_transfer_syntax");
    expect(() => readDicom(bytes)).toThrow(/1\.2\.840\.10008\.1\.2\.4\.90/);
  });

  it("refuses images too small or too large", async () => {
    const small = await writeDicom({
      rows: 16,
      cols: 16,
      frames: [new Array(256).fill(1)],
      bitsAllocated: 8,
    });
    expectError(() => readDicom(small), "too_small");
    const big = await writeDicom({ rows: ROWS, cols: COLS, frames: [ramp(255)], bitsAllocated: 8 });
    expectError(() => readDicom(big, { maxSide: 40 }), "too_large");
    expectError(() => readDicom(big, { maxPixels: 1000 }), "too_large");
  });
});

describe("PNG and JPEG input", () => {
  it("reads 8-bit and 16-bit PNG and JPEG as grey values", async () => {
    const grey = ramp(255);
    const raw = Buffer.from(grey);
    const png = await sharp(raw, { raw: { width: COLS, height: ROWS, channels: 1 } })
      .png()
      .toBuffer();
    const s8 = await readStudy(png);
    expect(s8.format).toBe("png");
    expect(Array.from(s8.frames[0]!.values)).toEqual(grey);
    expect(toDisplay(s8).data[grey.indexOf(255)]).toBeCloseTo(1, 5);

    const g16 = ramp(65535);
    const png16 = await sharp(Uint16Array.from(g16), { raw: { width: COLS, height: ROWS, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    const s16 = await readStudy(png16);
    expect(s16.bitsStored).toBe(16);
    for (const i of [0, COLS - 1, 1000, ROWS * COLS - 1]) expect(s16.frames[0]!.values[i]).toBe(g16[i]);

    const jpg = await sharp(raw, { raw: { width: COLS, height: ROWS, channels: 1 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const sj = await readStudy(jpg);
    expect(sj.format).toBe("jpeg");
    expect(Math.abs(sj.frames[0]!.values[500]! - grey[500]!)).toBeLessThanOrEqual(6);
  });

  it("refuses a truncated PNG and a tiny one", async () => {
    const raw = Buffer.from(ramp(255));
    const png = await sharp(raw, { raw: { width: COLS, height: ROWS, channels: 1 } })
      .png()
      .toBuffer();
    await expect(readStudy(png.subarray(0, png.length / 2))).rejects.toBeInstanceOf(BttError);
    const tiny = await sharp(Buffer.alloc(64), { raw: { width: 8, height: 8, channels: 1 } })
      .png()
      .toBuffer();
    await expectAsyncError(readStudy(tiny), "too_small");
  });
});
