import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeUvarint, FrameError, FrameReader, frame } from "../src/framing.ts";

describe("uvarint framing", () => {
  it("encodes lengths as Go's binary.PutUvarint does", () => {
    expect([...encodeUvarint(0)]).toEqual([0]);
    expect([...encodeUvarint(4)]).toEqual([4]);
    expect([...encodeUvarint(127)]).toEqual([127]);
    expect([...encodeUvarint(128)]).toEqual([0x80, 1]);
    expect([...encodeUvarint(300)]).toEqual([0xac, 0x02]);
    expect([...encodeUvarint(65535)]).toEqual([0xff, 0xff, 0x03]);
  });

  it("splits any chunking of a stream into the same messages", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        (messages, cuts) => {
          const stream = Buffer.concat(messages.map(frame));
          const reader = new FrameReader(1024);
          const out: Uint8Array[] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = cuts[i++ % cuts.length]!;
            out.push(...reader.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(out.map((m) => Buffer.from(m).toString("hex"))).toEqual(
            messages.map((m) => Buffer.from(m).toString("hex")),
          );
          expect(reader.buffered).toBe(0);
        },
      ),
    );
  });

  it("rejects a prefix that is too long, not minimal, or over the limit", () => {
    expect(() => new FrameReader(100).push(new Uint8Array(6).fill(0x80))).toThrow(FrameError);
    expect(() => new FrameReader(100).push(Uint8Array.from([0x85, 0x00]))).toThrow(/minimally/);
    expect(() => new FrameReader(100).push(Uint8Array.from([101]))).toThrow(/exceeds/);
    // An incomplete prefix waits for more bytes.
    expect(new FrameReader(1000).push(Uint8Array.from([0x85]))).toEqual([]);
  });
});
