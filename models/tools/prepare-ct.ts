// Makes the CT slice model's training tensors through the runtime's own code: each synthetic
// series (packages/ai/src/synth-ct.ts) is written as DICOM CT files, read back as a series
// (series.ts), windowed and resampled by ct.ts prepareSeriesSlices, exactly as `btt ai analyze
// --module ct` reads a scan. Writes images.f32 (N×128×128 float32, N = series × slices) and
// targets.json (per slice: series seed, slice index, lesion label).
// Usage: npx tsx models/tools/prepare-ct.ts --seed 41 --count 160 --out DIR
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CT_INPUT, CT_WINDOW, prepareSeriesSlices } from "../../packages/ai/src/ct.ts";
import { readSeries } from "../../packages/ai/src/series.ts";
import { generateCtSeries, writeCtSeries } from "../../packages/ai/src/synth-ct.ts";

const { values } = parseArgs({
  options: { seed: { type: "string" }, count: { type: "string" }, out: { type: "string" } },
});
if (!values.seed || !values.count || !values.out)
  throw new Error("--seed N --count N --out DIR are required");
const seed0 = Number(values.seed);
const count = Number(values.count);
await mkdir(values.out, { recursive: true });
const stream = createWriteStream(join(values.out, "images.f32"));
const targets: { series: number; slice: number; label: number }[] = [];
const contract = { modality: "CT", window: CT_WINDOW, ...CT_INPUT } as const;
for (let i = 0; i < count; i++) {
  const seed = seed0 * 1_000_003 + i;
  const synthetic = generateCtSeries(seed);
  const series = readSeries(await writeCtSeries(synthetic));
  const { tensors } = prepareSeriesSlices(series, contract);
  for (const [k, t] of tensors.entries()) {
    if (!stream.write(Buffer.from(t.buffer, t.byteOffset, t.byteLength)))
      await new Promise<void>((r) => stream.once("drain", () => r()));
    targets.push({ series: seed, slice: k, label: synthetic.labels[k] ? 1 : 0 });
  }
}
await new Promise<void>((resolve, reject) =>
  stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
);
await writeFile(join(values.out, "targets.json"), JSON.stringify(targets));
console.log(
  JSON.stringify({
    out: values.out,
    series: count,
    slices: targets.length,
    positive: targets.filter((t) => t.label).length,
  }),
);
