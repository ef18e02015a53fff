import { encodeAddress, TxResultSchema } from "@btt/core";
import { equals, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeBlockRecord, encodeBlockRecord, prepareRecord, RecordBuilder } from "./record.ts";
import { signers, transfers } from "./test-helpers.ts";

describe("block records", () => {
  const someAddress = fc
    .uint8Array({ minLength: 20, maxLength: 20 })
    .map((b) => Buffer.from(encodeAddress(b)));
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    someAddress,
    fc.constant(Buffer.from("btt1")),
    someAddress.map((a) => Buffer.concat([a.subarray(0, 41), Buffer.from("x")])), // bad checksum
    someAddress.map((a) => a.subarray(0, 30)), // truncated
    fc.constant(Buffer.from("btt1btt1qqqq")),
  );
  const bytes = fc.array(piece, { maxLength: 8 }).map((parts) => new Uint8Array(Buffer.concat(parts)));

  it("round-trip any bytes, with and without account ids", () => {
    const ids = new Map<string, number>();
    const addresses: Uint8Array[] = [];
    const idOf = (a: Uint8Array) => {
      const name = Buffer.from(a).toString("hex");
      if (a[0]! % 3 === 0) return -1;
      let id = ids.get(name);
      if (id === undefined) {
        id = addresses.length;
        ids.set(name, id);
        addresses.push(Uint8Array.from(a));
      }
      return id;
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(bytes, bytes), { maxLength: 12 }), bytes, (pairs, extra) => {
        const input = { txs: pairs.map((p) => p[0]), results: pairs.map((p) => p[1]), extra };
        for (const record of [encodeBlockRecord(input), encodeBlockRecord(input, idOf)]) {
          expect(record[0]).toBe(1);
          const body = decodeBlockRecord(record, (id) => addresses[id]);
          expect(body.count).toBe(pairs.length);
          for (let i = 0; i < pairs.length; i++) {
            expect(Buffer.from(body.tx(i))).toEqual(Buffer.from(pairs[i]![0]));
            expect(Buffer.from(body.resultBytes(i))).toEqual(Buffer.from(pairs[i]![1]));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("round-trip real transfers and make them small", () => {
    const input = transfers(
      Array.from({ length: 200 }, (_, i) => ({
        from: signers[i % 6]!,
        to: signers[(i + 1) % 6]!.address,
        amount: BigInt(i * 7919),
      })),
    );
    const results = input.results.map((r) => toBinary(TxResultSchema, r));
    const record = encodeBlockRecord({ txs: input.txs, results, extra: new Uint8Array(0) });
    const body = decodeBlockRecord(record);
    for (let i = 0; i < input.txs.length; i++) {
      expect(Buffer.from(body.tx(i))).toEqual(Buffer.from(input.txs[i]!));
      expect(equals(TxResultSchema, body.result(i), input.results[i]!)).toBe(true);
    }
    const raw = input.txs.reduce((n, t) => n + t.length, 0) + results.reduce((n, r) => n + r.length, 0);
    expect(record.length).toBeLessThan(raw / 3);
  });

  it("cut an address that one tx's result starts and the next tx ends, when built tx by tx", () => {
    const address = Buffer.from(encodeAddress(new Uint8Array(20).fill(7)));
    const half = 20;
    const builder = new RecordBuilder();
    builder.add(
      Buffer.from("first tx "),
      Buffer.concat([Buffer.from("its result "), address.subarray(0, half)]),
    );
    builder.add(Buffer.concat([address.subarray(half), Buffer.from(" second tx")]), Buffer.from("done"));
    const prepared = builder.finish(new Uint8Array(0));
    expect(prepared.which).toEqual([0]);
    expect(Buffer.from(prepared.distinct)).toEqual(Buffer.alloc(20, 7));
    expect(Buffer.from(prepared.stripped).toString("latin1")).toBe("first tx its result  second txdone");
    // The same as prepareRecord over the whole block.
    const whole = prepareRecord({
      txs: [Buffer.from("first tx "), Buffer.concat([address.subarray(half), Buffer.from(" second tx")])],
      results: [Buffer.concat([Buffer.from("its result "), address.subarray(0, half)]), Buffer.from("done")],
      extra: new Uint8Array(0),
    });
    expect(whole).toEqual(prepared);
  });

  it("reject unknown formats and corrupt data", () => {
    const record = encodeBlockRecord({
      txs: [new Uint8Array([1, 2, 3])],
      results: [new Uint8Array(0)],
      extra: new Uint8Array(0),
    });
    expect(() => decodeBlockRecord(Uint8Array.of(2, ...record.subarray(1)))).toThrow(/unknown format/);
    expect(() => decodeBlockRecord(record.subarray(0, record.length - 3))).toThrow(/corrupt/);
    expect(() => decodeBlockRecord(new Uint8Array(0))).toThrow(/corrupt/);
  });
});
