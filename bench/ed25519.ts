// Ed25519 verification cost per signature: OpenSSL one by one (node:crypto), the native addon one
// by one and in batches (ZIP-215, ed25519-consensus), and @noble/curves (the JavaScript fallback).
// Prints one JSON line last, in microseconds per signature.
import { type createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import { parseArgs } from "node:util";
import { ed25519Native } from "@btt/ed25519-native";
import { ed25519 } from "@noble/curves/ed25519.js";

const { values } = parseArgs({ options: { signatures: { type: "string", default: "4096" } } });
const N = Number(values.signatures);

const keys = Buffer.alloc(32 * N);
const sigs = Buffer.alloc(64 * N);
const messages: Buffer[] = [];
const publicKeys: ReturnType<typeof createPublicKey>[] = [];
for (let i = 0; i < N; i++) {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const message = Buffer.from(`transfer ${i} `.repeat(10)); // about a transfer's sign bytes
  Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url").copy(keys, i * 32);
  sign(null, message, privateKey).copy(sigs, i * 64);
  messages.push(message);
  publicKeys.push(publicKey);
}

/** The worker's layout: one buffer, four u32 offsets per signature. */
function pack(from: number, to: number): { data: Buffer; table: Uint32Array } {
  const parts: Buffer[] = [];
  const table = new Uint32Array((to - from) * 4);
  let pos = 0;
  for (let i = from; i < to; i++) {
    const m = messages[i]!;
    parts.push(keys.subarray(i * 32, i * 32 + 32), sigs.subarray(i * 64, i * 64 + 64), m);
    table.set([pos, pos + 32, pos + 96, pos + 96 + m.length], (i - from) * 4);
    pos += 96 + m.length;
  }
  return { data: Buffer.concat(parts), table };
}

function perSignature(run: () => number): number {
  run(); // warm-up
  const start = process.hrtime.bigint();
  const n = run();
  return Math.round(Number(process.hrtime.bigint() - start) / 100 / n) / 10;
}

const figures: Record<string, number | null> = {
  openssl_us: perSignature(() => {
    for (let i = 0; i < N; i++)
      verify(null, messages[i]!, publicKeys[i]!, sigs.subarray(i * 64, i * 64 + 64));
    return N;
  }),
  noble_zip215_us: perSignature(() => {
    const n = Math.min(N, 512);
    for (let i = 0; i < n; i++)
      ed25519.verify(sigs.subarray(i * 64, i * 64 + 64), messages[i]!, keys.subarray(i * 32, i * 32 + 32), {
        zip215: true,
      });
    return n;
  }),
  native_single_us: null,
  native_batch_64_us: null,
  native_batch_512_us: null,
};
const native = ed25519Native;
if (native) {
  const whole = pack(0, N);
  figures.native_single_us = perSignature(() => native.verifyEach(whole.data, whole.table).length);
  for (const size of [64, 512]) {
    const batches = Array.from({ length: Math.ceil(N / size) }, (_, b) =>
      pack(b * size, Math.min(N, (b + 1) * size)),
    );
    figures[`native_batch_${size}_us`] = perSignature(() => {
      for (const b of batches) if (!native.verifyBatch(b.data, b.table)) throw new Error("batch failed");
      return N;
    });
  }
} else console.error("[bench:ed25519] the native addon is not built; its figures are null");
console.log(JSON.stringify(figures));
