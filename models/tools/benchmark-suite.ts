// Writes models/caries/benchmark.json: the compute network's capability benchmark for the
// reference caries model. For seeds 1..32, the input is benchmarkInput(seed) (the synthetic
// bitewing as 12-bit DICOM with its laterality, packages/ai/src/benchmark-input.ts) and the answer
// is the SHA-256 of the canonical result (packages/ai/src/canonical.ts). Workers regenerate the
// inputs from the seeds, so the file is small; packages/ai/test/canonical.test.ts re-runs seeds.
// Usage: npm run gen:benchmark
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  analyzeCanonical,
  benchmarkInput,
  CariesPipeline,
  resultSha256,
} from "../../packages/ai/src/index.ts";

const SEEDS = Array.from({ length: 32 }, (_, i) => i + 1);
const OUT = fileURLToPath(new URL("../caries/benchmark.json", import.meta.url));

/**
 * Work per inference in MFLOP (= the chain's milli-GFLOP), counted from the network in
 * models/train/train_caries.py (CariesNet on a 1×128×256 input, 2 FLOP per multiply-add):
 * 3×3 convolutions out_h·out_w·c_in·c_out·9, the 1×1 head and the context layer. Batch norm,
 * ReLU and the pooling are a few hundred kFLOP and left out.
 */
function cariesMflop(): number {
  const conv3 = (h: number, w: number, cin: number, cout: number) => h * w * cin * cout * 9;
  const macs =
    conv3(64, 128, 3, 12) + // stem, stride 2 (image + 2 coordinate channels)
    conv3(64, 128, 12, 16) +
    conv3(32, 64, 16, 32) +
    conv3(32, 64, 32, 32) +
    conv3(16, 32, 32, 48) +
    2 * conv3(16, 32, 48, 48) +
    48 * 48 + // context
    conv3(16, 32, 98, 32) +
    16 * 32 * 32 * 16; // 1×1 output head
  return Math.round((2 * macs) / 1e6);
}

const pipeline = await CariesPipeline.open();
const items: Array<{ seed: number; result_sha256: string }> = [];
for (const seed of SEEDS) {
  const canonical = await analyzeCanonical(pipeline, await benchmarkInput(seed));
  items.push({ seed, result_sha256: Buffer.from(resultSha256(canonical)).toString("hex") });
}
await pipeline.close();
const suite = {
  model_id: pipeline.model.card.id,
  model_version: pipeline.model.card.version,
  mgflop_per_item: String(cariesMflop()),
  items,
};
await writeFile(OUT, `${JSON.stringify(suite, null, 2)}\n`);
console.log(`wrote ${OUT}: ${items.length} items, ${suite.mgflop_per_item} MFLOP each`);
