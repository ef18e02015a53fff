import type { Worker } from "node:worker_threads";
import {
  ed25519Signer,
  mlDsa65Signer,
  multisigKey,
  type Signer,
  type SingleKeyCheck,
  signatureChecks,
} from "@btt/core";
import { afterEach, describe, expect, it } from "vitest";
import { VerifyPool } from "./verify-pool.ts";

const message = (i: number) => Buffer.from(`btt/tx/v1\nmessage number ${i}`);

function checksOf(signer: Signer, msg: Uint8Array): SingleKeyCheck[] {
  return signatureChecks(signer.publicKey, signer.sign(msg)).checks;
}

function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[at]! ^= 0x01;
  return copy;
}

const pools: VerifyPool[] = [];
function pool(opts: ConstructorParameters<typeof VerifyPool>[0]): VerifyPool {
  const p = new VerifyPool(opts);
  pools.push(p);
  return p;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

const ed = ed25519Signer();
const other = ed25519Signer();

for (const threads of [0, 1, 2]) {
  describe(`VerifyPool with ${threads} thread(s)`, () => {
    it("accepts valid signatures and rejects a flipped byte in message, signature or key", async () => {
      const p = pool({ threads });
      const msg = message(1);
      const [check] = checksOf(ed, msg);
      expect(await p.verify(msg, [check!])).toBe(true);
      expect(await p.verify(flipped(msg, 5), [check!])).toBe(false);
      expect(await p.verify(msg, [{ ...check!, signature: flipped(check!.signature, 10) }])).toBe(false);
      expect(await p.verify(msg, [{ ...check!, publicKey: flipped(check!.publicKey, 3) }])).toBe(false);
      expect(await p.verify(msg, [{ ...check!, publicKey: other.publicKey.key.value as Uint8Array }])).toBe(
        false,
      );
      expect(await p.verify(msg, [{ ...check!, signature: check!.signature.subarray(1) }])).toBe(false);
      expect(await p.verify(msg, [{ ...check!, kind: 99 }])).toBe(false);
    });

    it("tells when every request made before a mark has its answer", async () => {
      const p = pool({ threads, batchSize: 16 });
      expect(p.answeredThrough(p.mark)).toBe(true);
      const first = Array.from({ length: 40 }, (_, i) => p.verify(message(i), checksOf(ed, message(i))));
      const mark = p.mark;
      expect(mark).toBe(40);
      const later = p.verify(message(99), checksOf(ed, message(99)));
      expect(p.answeredThrough(mark)).toBe(false);
      await Promise.all(first);
      expect(p.answeredThrough(mark)).toBe(true);
      await later;
      expect(p.answeredThrough(p.mark)).toBe(true);
    });

    it("resolves each request of a mixed batch to its own result", async () => {
      const p = pool({ threads, batchSize: 64 });
      const requests = Array.from({ length: 300 }, (_, i) => {
        const msg = message(i);
        const checks = checksOf(i % 2 ? ed : other, msg);
        const valid = i % 3 !== 0;
        return { msg: valid ? msg : flipped(msg, i % msg.length), checks, valid };
      });
      const results = await Promise.all(requests.map((r) => p.verify(r.msg, r.checks)));
      expect(results).toEqual(requests.map((r) => r.valid));
    });

    it("requires every check of a multi-check request (multisig)", async () => {
      const p = pool({ threads });
      const a = ed25519Signer();
      const b = ed25519Signer();
      const key = multisigKey(2, [a.publicKey, b.publicKey]);
      expect(key.key.case).toBe("multisig");
      const msg = message(7);
      const checks = [...checksOf(a, msg), ...checksOf(b, msg)];
      const badSecond = [checks[0]!, { ...checks[1]!, signature: flipped(checks[1]!.signature) }];
      const badFirst = [{ ...checks[0]!, signature: flipped(checks[0]!.signature) }, checks[1]!];
      const [ok, bad1, bad2] = await Promise.all([
        p.verify(msg, checks),
        p.verify(msg, badSecond),
        p.verify(msg, badFirst),
      ]);
      expect([ok, bad1, bad2]).toEqual([true, false, false]);
      expect(await p.verify(msg, [])).toBe(true);
    });

    it("verifies ML-DSA-65 signatures", async () => {
      const p = pool({ threads });
      const signer = mlDsa65Signer();
      const msg = message(3);
      const checks = checksOf(signer, msg);
      expect(checks[0]!.publicKey.length).toBe(1952);
      const [ok, badMsg, badSig] = await Promise.all([
        p.verify(msg, checks),
        p.verify(flipped(msg), checks),
        p.verify(msg, [{ ...checks[0]!, signature: flipped(checks[0]!.signature, 100) }]),
      ]);
      expect([ok, badMsg, badSig]).toEqual([true, false, false]);
    });

    it("closes with nothing pending, and rejects verify() afterwards", async () => {
      const p = new VerifyPool({ threads });
      await p.close();
      await p.close();
      await expect(p.verify(message(1), checksOf(ed, message(1)))).rejects.toThrow(/closed/);
    });

    it("answers the requests made before close()", async () => {
      const p = new VerifyPool({ threads });
      const msg = message(2);
      const pending = Promise.all([
        p.verify(msg, checksOf(ed, msg)),
        p.verify(flipped(msg), checksOf(ed, msg)),
      ]);
      await p.close();
      expect(await pending).toEqual([true, false]);
    });
  });
}

describe("VerifyPool workers", () => {
  it("spreads a large burst over the workers", async () => {
    const p = pool({ threads: 2, batchSize: 50 });
    const requests = Array.from({ length: 400 }, (_, i) => ({
      msg: message(i),
      checks: checksOf(ed, message(i)),
    }));
    const results = await Promise.all(requests.map((r) => p.verify(r.msg, r.checks)));
    expect(results.every((r) => r)).toBe(true);
  });

  it("rejects the pending requests of a crashed worker with a clear error and replaces it", async () => {
    const p = pool({ threads: 1 });
    const signer = mlDsa65Signer();
    const msg = message(9);
    const checks = checksOf(signer, msg);
    // Enough slow (ML-DSA) checks to still be in flight when the worker dies.
    const pending = Array.from({ length: 500 }, () => p.verify(msg, checks));
    await new Promise((resolve) => setImmediate(resolve));
    const worker = (p as unknown as { slots: { worker: Worker }[] }).slots[0]!.worker;
    await worker.terminate();
    const settled = await Promise.allSettled(pending);
    const rejected = settled.filter((s) => s.status === "rejected");
    expect(rejected.length).toBeGreaterThan(0);
    expect(String((rejected[0] as PromiseRejectedResult).reason)).toMatch(/verification worker stopped/);
    // The replacement works.
    const edMsg = message(10);
    expect(await p.verify(edMsg, checksOf(ed, edMsg))).toBe(true);
  });

  it("verifies inline when workers keep dying", async () => {
    const p = pool({ threads: 1 });
    const slots = (p as unknown as { slots: { worker: Worker }[] }).slots;
    for (let i = 0; i < 5; i++) {
      const worker = slots[0]!.worker;
      await worker.terminate();
      while (slots[0]?.worker === worker) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(slots.length).toBe(0);
    const msg = message(11);
    expect(await p.verify(msg, checksOf(ed, msg))).toBe(true);
    expect(await p.verify(flipped(msg), checksOf(ed, msg))).toBe(false);
  });

  it("defaults to at least one thread", () => {
    const p = pool({});
    expect(p.threads).toBeGreaterThanOrEqual(1);
    expect(() => new VerifyPool({ threads: -1 })).toThrow(RangeError);
    expect(() => new VerifyPool({ threads: 0, batchSize: 0 })).toThrow(RangeError);
  });
});

describe("VerifyPool lingerMs", () => {
  it("holds a check until later ones join its batch, then answers each on its own merits", async () => {
    const p = pool({ threads: 0, lingerMs: 30 });
    const a = message(101);
    const b = message(102);
    let firstSettled = false;
    const first = p.verify(a, checksOf(ed, a)).then((ok) => {
      firstSettled = true;
      return ok;
    });
    // Several event-loop turns later the first check still waits for company…
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(firstSettled).toBe(false);
    // …which arrives: a bad signature in the same batch fails only itself.
    const second = p.verify(b, [
      { ...checksOf(ed, b)[0]!, signature: flipped(checksOf(ed, b)[0]!.signature) },
    ]);
    expect(await Promise.all([first, second])).toEqual([true, false]);
  });

  it("refuses a linger outside 0–1000 ms", () => {
    expect(() => new VerifyPool({ threads: 0, lingerMs: -1 })).toThrow(RangeError);
    expect(() => new VerifyPool({ threads: 0, lingerMs: 1001 })).toThrow(RangeError);
  });
});
