// PNG and JPEG through sharp: decoded to one grey channel at the file's bit depth.
import sharp, { type Metadata, type OutputInfo } from "sharp";
import { imageError } from "./errors.ts";
import { checkSize, type SizeLimits } from "./limits.ts";
import type { Study } from "./study.ts";

export function rasterFormat(bytes: Uint8Array): "png" | "jpeg" | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  return undefined;
}

export async function readRaster(bytes: Uint8Array, limits?: Partial<SizeLimits>): Promise<Study> {
  const format = rasterFormat(bytes);
  if (!format) throw imageError("not_an_image", "not a PNG or JPEG file");
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw imageError("malformed", `${format} header cannot be read: ${(err as Error).message}`);
  }
  checkSize(meta.width ?? 0, meta.height ?? 0, 1, limits);
  const sixteen = meta.depth === "ushort";
  let data: Buffer;
  let info: OutputInfo;
  try {
    ({ data, info } = await sharp(bytes, { failOn: "error" })
      .toColourspace(sixteen ? "grey16" : "b-w")
      .extractChannel(0)
      .raw({ depth: sixteen ? "ushort" : "uchar" })
      .toBuffer({ resolveWithObject: true }));
  } catch (err) {
    const msg = (err as Error).message;
    const reason = /premature|truncat|end of|corrupt/i.test(msg) ? "truncated" : "malformed";
    throw imageError(reason, `${format} pixel data cannot be decoded: ${msg}`);
  }
  const pixels = info.width * info.height;
  const values = new Float32Array(pixels);
  if (sixteen) {
    const view = new Uint16Array(data.buffer, data.byteOffset, pixels);
    values.set(view);
  } else {
    for (let i = 0; i < pixels; i++) values[i] = data[i]!;
  }
  return {
    format,
    modality: "OT",
    equipment: {},
    uids: {},
    photometric: "MONOCHROME2",
    bitsStored: sixteen ? 16 : 8,
    frames: [{ width: info.width, height: info.height, values }],
  };
}
