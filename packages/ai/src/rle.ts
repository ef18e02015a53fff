// DICOM RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits
// segment per byte plane (most significant byte first, then per sample).
import { imageError } from "./errors.ts";

/** Decodes one RLE frame into `samples` interleaved samples per pixel of `bytesPerSample` bytes. */
export function decodeRleFrame(
  frame: Uint8Array,
  pixels: number,
  samplesPerPixel: number,
  bytesPerSample: number,
): Uint8Array {
  if (frame.length < 64) throw imageError("truncated", "RLE frame shorter than its 64-byte header");
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const expected = samplesPerPixel * bytesPerSample;
  if (segments !== expected) {
    throw imageError("malformed", `RLE frame has ${segments} segments, expected ${expected}`);
  }
  // Output in little-endian interleaved order: sample s, byte b (0 = least significant).
  const out = new Uint8Array(pixels * expected);
  for (let seg = 0; seg < segments; seg++) {
    const start = view.getUint32(4 + seg * 4, true);
    const end = seg + 1 < segments ? view.getUint32(8 + seg * 4, true) : frame.length;
    if (start < 64 || start > end || end > frame.length) {
      throw imageError("truncated", `RLE segment ${seg} lies outside the frame`);
    }
    const sample = Math.floor(seg / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (seg % bytesPerSample);
    const stride = expected;
    let o = sample * bytesPerSample + byteInSample;
    let written = 0;
    let i = start;
    while (written < pixels && i < end) {
      const n = (frame[i++]! << 24) >> 24; // signed header byte
      if (n >= 0) {
        for (let k = 0; k <= n && written < pixels && i < end; k++, written++, o += stride)
          out[o] = frame[i++]!;
      } else if (n !== -128) {
        const value = frame[i++]!;
        for (let k = 0; k < 1 - n && written < pixels; k++, written++, o += stride) out[o] = value;
      }
    }
    if (written < pixels)
      throw imageError("truncated", `RLE segment ${seg} ends after ${written} of ${pixels} pixels`);
  }
  return out;
}

/** PackBits-encodes one byte plane (used by tests and tools to write RLE DICOM files). */
export function packBits(plane: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < plane.length) {
    let run = 1;
    while (i + run < plane.length && run < 128 && plane[i + run] === plane[i]) run++;
    if (run >= 2) {
      out.push((1 - run) & 0xff, plane[i]!);
      i += run;
      continue;
    }
    let lit = 1;
    while (i + lit < plane.length && lit < 128 && plane[i + lit] !== plane[i + lit - 1]) lit++;
    out.push(lit - 1);
    for (let k = 0; k < lit; k++) out.push(plane[i + k]!);
    i += lit;
  }
  return Uint8Array.from(out);
}

/** Builds an RLE frame from little-endian interleaved samples (the inverse of decodeRleFrame). */
export function encodeRleFrame(
  data: Uint8Array,
  samplesPerPixel: number,
  bytesPerSample: number,
): Uint8Array {
  const bpp = samplesPerPixel * bytesPerSample;
  const pixels = data.length / bpp;
  const segs: Uint8Array[] = [];
  for (let s = 0; s < samplesPerPixel; s++) {
    for (let b = bytesPerSample - 1; b >= 0; b--) {
      const plane = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) plane[p] = data[p * bpp + s * bytesPerSample + b]!;
      let enc = packBits(plane);
      if (enc.length % 2) enc = Uint8Array.from([...enc, 0x80]); // -128 is a no-op pad byte
      segs.push(enc);
    }
  }
  const header = new Uint8Array(64);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, segs.length, true);
  let offset = 64;
  segs.forEach((seg, k) => {
    hv.setUint32(4 + k * 4, offset, true);
    offset += seg.length;
  });
  const out = new Uint8Array(offset);
  out.set(header);
  let pos = 64;
  for (const seg of segs) {
    out.set(seg, pos);
    pos += seg.length;
  }
  return out;
}
