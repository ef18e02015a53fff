// AI pipeline throughput on this CPU: file bytes → DiagnosticReport, one image at a time, per
// module. Inputs are generated bitewings written as DICOM (explicit VR little endian, 12-bit).
// Prints one JSON line last: {"modules":{"caries":{images_per_s,p50_ms,p99_ms},"periodontal":{…}},"min_images_per_s"}.
import { parseArgs } from "node:util";
import {
  CariesPipeline,
  CT_SLICES,
  EndoPipeline,
  endoBenchmarkInput,
  generateBitewing,
  generateCtSeries,
  generatePerio,
  OralPathPipeline,
  OrthoPipeline,
  oralPathBenchmarkInput,
  orthoBenchmarkInput,
  PerioPipeline,
  SeriesPipeline,
  writeCtSeries,
  writeDicom,
} from "@btt/ai";

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

// The endodontic module reads periapical views (its generator, as 12-bit DICOM with Pixel Spacing).
const endoFiles: Uint8Array[] = [];
for (let i = 0; i < 12; i++) endoFiles.push(await endoBenchmarkInput(900 + i));
const oralPathFiles: Uint8Array[] = [];
for (let i = 0; i < 12; i++) oralPathFiles.push(await oralPathBenchmarkInput(900 + i));

// The orthodontic module reads lateral cephalograms (its generator, as 12-bit DICOM with Pixel Spacing).
const orthoFiles: Uint8Array[] = [];
for (let i = 0; i < 12; i++) orthoFiles.push(await orthoBenchmarkInput(900 + i));

// The CT module reads a whole series (one DICOM file per slice, 20 slices): one run is a series,
// so its images_per_s counts slices and its p50/p99 are per series.
const ctSeries: Uint8Array[][] = [];
for (let i = 0; i < 4; i++) ctSeries.push(await writeCtSeries(generateCtSeries(900 + i)));

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
const endo = await EndoPipeline.open();
const oralPath = await OralPathPipeline.open();
const ortho = await OrthoPipeline.open();
const ct = await SeriesPipeline.open();
const modules = {
  caries: await measure((b) => caries.analyze(b)),
  periodontal: await measure((b) => perio.analyze(b), perioFiles),
  endodontic: await measure((b) => endo.analyze(b), endoFiles),
  "oral-pathology": await measure((b) => oralPath.analyze(b), oralPathFiles),
  orthodontic: await measure((b) => ortho.analyze(b), orthoFiles),
  ct: await measure(
    (b) => ct.analyze(ctSeries[b[0]!]!),
    ctSeries.map((_, i) => Uint8Array.of(i)),
  ).then((m) => ({
    ...m,
    images_per_s: Math.round(m.images_per_s * CT_SLICES * 10) / 10,
    slices_per_series: CT_SLICES,
  })),
};
await caries.close();
await perio.close();
await endo.close();
await oralPath.close();
await ortho.close();
await ct.close();
console.log(
  JSON.stringify({
    providers: caries.model.providers,
    modules,
    min_images_per_s: Math.min(...Object.values(modules).map((m) => m.images_per_s)),
  }),
);
