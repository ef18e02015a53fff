/**
 * The ABCI socket framing of CometBFT v0.38: each message is its protobuf encoding prefixed
 * by its length as an unsigned varint (Go's binary.PutUvarint; older Tendermint used a
 * zig-zag signed varint, which this is not).
 */

/** A frame that cannot be read: the connection it came on is closed. */
export class FrameError extends Error {
  override readonly name = "FrameError";
}

/** The uvarint encoding of a length. */
export function encodeUvarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a length: ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** One message with its length prefix. */
export function frame(message: Uint8Array): Uint8Array {
  const prefix = encodeUvarint(message.length);
  const out = new Uint8Array(prefix.length + message.length);
  out.set(prefix, 0);
  out.set(message, prefix.length);
  return out;
}

/**
 * Splits a byte stream into messages. Bytes arrive in arbitrary chunks; `push` returns the
 * messages completed so far and keeps the rest. Throws FrameError on a length prefix that is
 * not a canonical uvarint or that announces more than `maxMessageBytes`.
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes received but not yet part of a complete message. */
  get buffered(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const out: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const header = readUvarint(this.buffer, offset, this.maxMessageBytes);
      if (!header) break;
      const start = offset + header.bytes;
      const end = start + header.value;
      if (end > this.buffer.length) break;
      out.push(this.buffer.subarray(start, end));
      offset = end;
    }
    // Complete messages keep referencing the old buffer; the remainder is copied out.
    if (offset > 0) this.buffer = Buffer.from(this.buffer.subarray(offset));
    return out;
  }
}

/** Reads a uvarint at `offset`; undefined when more bytes are needed. */
function readUvarint(
  buf: Uint8Array,
  offset: number,
  max: number,
): { value: number; bytes: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (offset + i >= buf.length) return undefined;
    const byte = buf[offset + i]!;
    // A length needs at most 5 bytes (2^35 > any limit we accept); more is garbage.
    if (i >= 5) throw new FrameError("length prefix is longer than a message length can be");
    value += (byte & 0x7f) * scale;
    scale *= 0x80;
    if (byte < 0x80) {
      if (byte === 0 && i > 0) throw new FrameError("length prefix is not minimally encoded");
      if (value > max) throw new FrameError(`message of ${value} bytes exceeds the limit of ${max}`);
      return { value, bytes: i + 1 };
    }
  }
}
