// AI pipeline throughput on this CPU: file bytes → DiagnosticReport, one image at a time, per
// module. Inputs are generated bitewings written as DICOM (explicit VR little endian, 12-bit).
// Prints one JSON line last: {"modules":{"caries":{images_per_s,p50_ms,p99_ms},"periodontal":{…}},"min_images_per_s"}.
import { parseArgs } from "node:util";
import { CariesPipeline, generateBitewing, generatePerio, PerioPipeline, writeDicom } from "@btt/ai";

const { values } = parseArgs({ options: { images: { type: "string", default: "60" } } });
const N = Number(values.images);

const files: Uint8Array[] = [];
for (let i = 0; i < 12; i++) {
  const { image, side } = generateBitewing(900 + i);
  files.push(
    await writeDicom({
      rows: image.height,
      cols: image.width,
      frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
      bitsStored: 12,
      laterality: side,
    }),
  );
}

// The periodontal module reads posterior views with whole roots (its own generator).
const perioFiles: Uint8Array[] = [];
for (let i = 0; i < 12; i++) {
  const { image, side } = generatePerio(900 + i);
  perioFiles.push(
    await writeDicom({
      rows: image.height,
      cols: image.width,
      frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
      bitsStored: 12,
      laterality: side,
    }),
  );
}

async function measure(run: (bytes: Uint8Array) => Promise<unknown>, inputs: Uint8Array[] = files) {
  for (let i = 0; i < 3; i++) await run(inputs[i % inputs.length]!); // warm-up
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await run(inputs[i % inputs.length]!);
    times.push(performance.now() - t);
  }
  const total = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  const pct = (q: number) =>
    Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))]! * 10) / 10;
  return { images_per_s: Math.round((N / total) * 10) / 10, p50_ms: pct(0.5), p99_ms: pct(0.99) };
}

const caries = await CariesPipeline.open();
const perio = await PerioPipeline.open();
const modules = {
  caries: await measure((b) => caries.analyze(b)),
  periodontal: await measure((b) => perio.analyze(b), perioFiles),
};
await caries.close();
await perio.close();
console.log(
  JSON.stringify({
    providers: caries.model.providers,
    modules,
    min_images_per_s: Math.min(...Object.values(modules).map((m) => m.images_per_s)),
  }),
);
