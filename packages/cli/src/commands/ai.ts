// `btt ai analyze <file>`: a radiograph (DICOM, PNG, JPEG) through the caries pipeline, every
// confidence term printed, report.json and overlay.png written. `btt ai evaluate`: a model's
// figures on a labelled set. `btt ai models`: the registry.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { BttError } from "@btt/core";
import { connect, isUnreachable, withNode } from "../client.ts";
import { emit, NODE_OPTION, nodeUrlOf } from "../context.ts";
import type { Command, ParsedValues } from "../router.ts";

export const TERMS = ["C", "alpha", "beta", "I_quality", "D_confidence", "P_consensus", "U_factor"] as const;

export const f3 = (v: number) => v.toFixed(3);

/** Runs `use` with a module's pipeline and closes it (its ONNX session) whatever happens. */
export async function withPipeline<P extends { close(): Promise<void> }, T>(
  opening: Promise<P>,
  use: (pipeline: P) => Promise<T>,
): Promise<T> {
  const pipeline = await opening;
  try {
    return await use(pipeline);
  } finally {
    await pipeline.close();
  }
}

/** `evaluate`'s --data for the modules that read only synthetic sets. */
export function syntheticDataOption(values: ParsedValues): string {
  const data = values.data as string | undefined;
  if (!data) throw new BttError("INVALID_MESSAGE", "--data synthetic:<seed>:<count> is required");
  return data;
}

export function countOption(values: ParsedValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(n))
    throw new BttError("INVALID_MESSAGE", `--${name} must be a whole number, got "${raw}"`);
  return n;
}

/**
 * α, β (ppm on chain) and the verdict counts of a model version, from the node's ai module if one
 * answers (else the defaults), with --confirmed/--reviewed overriding the counts.
 */
export async function chainTerms(
  values: ParsedValues,
  card: { id: string; version: string },
  module: string,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const ai = await import("@btt/ai");
  const url = nodeUrlOf(values);
  let terms = ai.termsFromChain(undefined, undefined, module);
  let source = `defaults (no node at ${url})`;
  try {
    const client = connect(url);
    const [params, consensus] = await Promise.all([
      client.query("ai", "params"),
      client.query("ai", "consensus", { model_id: card.id, version: card.version }),
    ]);
    terms = ai.termsFromChain(params, consensus, module);
    source = `the ai module at ${url}`;
  } catch (err) {
    if (!isUnreachable(err) || values.node) throw err;
  }
  if (confirmedOpt !== undefined || reviewedOpt !== undefined) {
    const confirmed = confirmedOpt ?? terms.consensus.confirmed;
    const reviewed = reviewedOpt ?? Math.max(confirmed, terms.consensus.reviewed);
    if (confirmed > reviewed) throw new BttError("INVALID_MESSAGE", "--confirmed cannot exceed --reviewed");
    terms = { ...terms, consensus: { confirmed, reviewed } };
    source += ", counts from the command line";
  }
  return { terms, source };
}

const MODULES = ["caries", "periodontal", "endodontic", "orthodontic", "ct", "oral-pathology"] as const;

function moduleOption(values: ParsedValues): (typeof MODULES)[number] {
  const m = (values.module as string | undefined) ?? "caries";
  if (!(MODULES as readonly string[]).includes(m))
    throw new BttError("INVALID_MESSAGE", `--module must be one of ${MODULES.join(", ")}, got "${m}"`);
  return m as (typeof MODULES)[number];
}

/** Writes report.json and overlay.png to --out (default <file>.ai beside the file); returns their paths. */
export async function writeArtifacts(
  values: ParsedValues,
  file: string,
  report: unknown,
  overlay: Uint8Array,
) {
  const out = resolve((values.out as string | undefined) ?? join(dirname(file), `${basename(file)}.ai`));
  await mkdir(out, { recursive: true });
  const reportPath = join(out, "report.json");
  const overlayPath = join(out, "overlay.png");
  await writeFile(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(overlayPath, overlay);
  return { reportPath, overlayPath };
}

/** The first lines of an analysis: the pinned model, the image and its quality, where α, β and P came from. */
export function analysisHeader(
  model: { card: { id: string; version: string }; sha256: string },
  res: {
    study: { format: string; modality: string };
    display: { width: number; height: number };
    quality: { score: number; exposure: number; contrast: number; noise: number; sharpness: number };
  },
  terms: { weights: { alpha: number; beta: number }; consensus: { confirmed: number; reviewed: number } },
  source: string,
): string[] {
  const q = res.quality;
  return [
    `${model.card.id}@${model.card.version} (sha256 ${model.sha256.slice(0, 16)}…; synthetic training data, not for clinical use)`,
    `image ${res.study.format} ${res.study.modality} ${res.display.width}x${res.display.height}, I_quality ${f3(q.score)}` +
      ` (exposure ${f3(q.exposure)}, contrast ${f3(q.contrast)}, noise ${f3(q.noise)}, sharpness ${f3(q.sharpness)})`,
    `α ${terms.weights.alpha}, β ${terms.weights.beta}, verdicts ${terms.consensus.confirmed}/${terms.consensus.reviewed} confirmed: from ${source}`,
  ];
}

/** `analyze --module periodontal`: bone loss and stage per tooth, every confidence term. */
async function analyzePeriodontal(
  file: string,
  bytes: Uint8Array,
  values: ParsedValues,
  side: "R" | "L" | undefined,
  confirmedOpt: number | undefined,
  reviewedOpt: number | undefined,
) {
  const ai = await import("@btt/ai");
  return withPipeline(ai.PerioPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const { terms, source } = await chainTerms(values, card, "periodontal", confirmedOpt, reviewedOpt);
    const res = await pipeline.analyze(bytes, { ...(side ? { side } : {}), ...terms });
    // Each box spans the lost attachment, CEJ to crest, on the tooth's axis; colour by stage.
    const overlay = await ai.renderOverlay(
      res.display,
      res.findings.map((f) => ({
        box: f.box,
        tooth: f.tooth,
        label: `${f.boneLossPct.toFixed(0)}% ${f.stage}`,
      })),
      (_f, i) => ai.PERIO_STAGES.indexOf(res.findings[i]!.stage),
    );
    const { reportPath, overlayPath } = await writeArtifacts(values, file, res.report, overlay);
    const lines = [
      ...analysisHeader(pipeline.model, res, terms, source),
      "radiographic bone loss per tooth (AAP/EFP 2017 stage; III and IV need clinical data):",
      ...res.findings.map((f) => {
        const c = f.confidence;
        return (
          `  tooth ${f.tooth}  bone loss ${f.boneLossPct.toFixed(1).padStart(5)}%  stage ${f.stage.padEnd(6)}\n` +
          `     ${TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ")}\n` +
          `     U_factor from ${c.tta_views} views: bone-loss dispersion ${f3(c.tta_pct_dispersion)}, stage disagreement ${f3(c.tta_stage_disagreement)}`
        );
      }),
      `report  ${reportPath}`,
      `overlay ${overlayPath}`,
    ];
    emit(
      values,
      {
        module: "periodontal",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        terms_source: source,
        quality: res.quality,
        findings: res.findings.map((f) => ({
          tooth: f.tooth,
          bone_loss_pct: f.boneLossPct,
          stage: f.stage,
          landmarks: { cej: f.cej, crest: f.crest, apex: f.apex },
          confidence: f.confidence,
        })),
        report: reportPath,
        overlay: overlayPath,
      },
      lines,
    );
  });
}

const analyzeCommand: Command = {
  name: "analyze",
  summary: "caries findings in a bitewing (DICOM, PNG or JPEG), with every confidence term",
  details:
    "C = α·(I_quality·D_confidence) + β·P_consensus·(1 − U_factor). U_factor comes from test-time\n" +
    "augmentation (4 views); P_consensus = (confirmed+1)/(reviewed+2), clinicians' verdicts on the model\n" +
    "version. α, β and the verdict counts come from the node's ai module when one answers (else 0.6, 0.4\n" +
    "and none, so P = 0.5); --confirmed/--reviewed override the counts. Writes report.json (FHIR R4\n" +
    "DiagnosticReport) and overlay.png (boxes, FDI labels) to --out. The model is trained on\n" +
    "synthetic data: not for clinical use.",
  args: [
    {
      name: "file",
      description: "the radiograph (--module ct: a series, as DICOM files or their directory)",
      variadic: true,
    },
  ],
  options: {
    out: {
      type: "string",
      value: "<dir>",
      description: "where report.json and overlay.png go (default: <file>.ai next to the file)",
    },
    side: { type: "string", value: "R|L", description: "bitewing side when the file does not say" },
    module: {
      type: "string",
      value: "caries|periodontal|endodontic|orthodontic|ct|oral-pathology",
      description:
        "caries lesions (default), periodontal bone loss and stage per tooth, endodontic periapical lesions per tooth, or orthodontic cephalometric landmarks with SNA/SNB/ANB and skeletal class; ct: a CT series (files or a directory) through the generic series model; oral-pathology: a jaw-lesion screening class with a refer flag",
    },
    confirmed: { type: "string", value: "<n>", description: "confirmed findings of this model version" },
    reviewed: { type: "string", value: "<n>", description: "reviewed findings of this model version" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    if (moduleOption(values) === "ct")
      return (await import("./ai-ct.ts")).analyzeCt(
        args,
        values,
        countOption(values, "confirmed"),
        countOption(values, "reviewed"),
      );
    if (args.length !== 1)
      throw new BttError("INVALID_MESSAGE", "one file at a time (only --module ct reads several)");
    const [file] = args as [string];
    const side = values.side as string | undefined;
    if (side !== undefined && side !== "R" && side !== "L")
      throw new BttError("INVALID_MESSAGE", `--side must be R or L, got "${side}"`);
    const confirmedOpt = countOption(values, "confirmed");
    const reviewedOpt = countOption(values, "reviewed");
    const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new BttError("NOT_FOUND", `cannot read ${file}: ${err.code ?? err.message}`, { file });
    });
    if (moduleOption(values) === "periodontal")
      return analyzePeriodontal(file, bytes, values, side, confirmedOpt, reviewedOpt);
    if (moduleOption(values) === "oral-pathology")
      return (await import("./ai-oralpath.ts")).analyzeOralPathology(
        file,
        bytes,
        values,
        side,
        confirmedOpt,
        reviewedOpt,
      );
    if (moduleOption(values) === "endodontic")
      return (await import("./ai-endo.ts")).analyzeEndodontic(
        file,
        bytes,
        values,
        side,
        confirmedOpt,
        reviewedOpt,
      );
    if (moduleOption(values) === "orthodontic")
      return (await import("./ai-ortho.ts")).analyzeOrthodontic(
        file,
        bytes,
        values,
        confirmedOpt,
        reviewedOpt,
      );
    const ai = await import("@btt/ai");
    return withPipeline(ai.CariesPipeline.open(), async (pipeline) => {
      const card = pipeline.model.card;
      const { terms, source } = await chainTerms(values, card, "caries", confirmedOpt, reviewedOpt);
      const res = await pipeline.analyze(bytes, { ...(side ? { side } : {}), ...terms });
      const overlay = await ai.renderOverlay(
        res.display,
        res.findings.map((f) => ({
          box: f.box,
          tooth: f.tooth,
          label: `${f.severity} C=${f.confidence.C.toFixed(2)}`,
        })),
        (_f, i) => ai.SEVERITIES.indexOf(res.findings[i]!.severity),
      );
      const { reportPath, overlayPath } = await writeArtifacts(values, file, res.report, overlay);
      const lines = [
        ...analysisHeader(pipeline.model, res, terms, source),
        res.findings.length === 0
          ? "no findings above the model's threshold"
          : `${res.findings.length} finding(s):`,
        ...res.findings.map((f, i) => {
          const c = f.confidence;
          const box = f.box.map((v) => Math.round(v)).join(",");
          return (
            `  ${i + 1}. tooth ${f.tooth} ${f.severity} caries, box [${box}]\n` +
            `     ${TERMS.map((t) => `${t} ${f3(c[t])}`).join("  ")}\n` +
            `     U_factor from ${c.tta_views} views: score dispersion ${f3(c.tta_score_dispersion)}, box disagreement ${f3(c.tta_box_disagreement)};` +
            ` P_consensus from ${c.consensus_confirmed}/${c.consensus_reviewed} confirmed`
          );
        }),
        `report  ${reportPath}`,
        `overlay ${overlayPath}`,
      ];
      emit(
        values,
        {
          model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
          terms_source: source,
          quality: res.quality,
          findings: res.findings.map((f) => ({
            tooth: f.tooth,
            severity: f.severity,
            box: f.box,
            confidence: f.confidence,
          })),
          report: reportPath,
          overlay: overlayPath,
        },
        lines,
      );
    });
  },
};

export const pct = (p: { value: number; ci95: [number, number] }) =>
  `${f3(p.value)}  ${f3(p.ci95[0])}–${f3(p.ci95[1])}`;

export type Figure = { value: number; ci95: [number, number]; n: number };

/** The evaluation table both modules print: a header, then one row per figure with its interval. */
export const figureRows = (rows: ReadonlyArray<[string, Figure]>): string[] => [
  `${"measure".padEnd(28)} value  95% CI       n`,
  ...rows.map(([name, p]) => `${name.padEnd(28)} ${pct(p)}  ${p.n}`),
];

/** An AUC row of that table: the figure, its interval, and the positives and negatives it rests on. */
export const aucRow = (
  name: string,
  auc: { value: number; ci95: [number, number]; positives: number; negatives: number },
) => `${name.padEnd(28)} ${pct(auc)}  ${auc.positives}+/${auc.negatives}-`;

/** The calibration row of that table: the ECE over 10 bins, and what was binned. */
export const eceRow = (ece: { value: number }, what: string) =>
  `${"calibration error (ECE)".padEnd(28)} ${f3(ece.value)}  (10 bins, ${what})`;

/** `evaluate --module periodontal`: bone-loss error and stage accuracy on a synthetic set. */
async function evaluatePeriodontal(values: ParsedValues) {
  const data = syntheticDataOption(values);
  const ai = await import("@btt/ai");
  const set = ai.openPerioSet(data);
  return withPipeline(ai.PerioPipeline.open(), async (pipeline) => {
    const card = pipeline.model.card;
    const e = await ai.evaluatePerioSet(pipeline, set);
    const rows: [string, Figure][] = [
      ["bone loss MAE (points)", e.boneLossMae],
      ["within 10 points", e.within10pp],
      ["stage accuracy", e.stageAccuracy],
      ...Object.entries(e.stageSensitivity).map(([stage, p]): [string, typeof p] => [
        `stage ${stage} sensitivity`,
        p,
      ]),
    ];
    const lines = [
      `${card.id}@${card.version} on ${set.description} (${e.teeth} teeth; synthetic training data, not for clinical use)`,
      ...figureRows(rows),
      eceRow(e.calibrationError, `stage right vs D_confidence, ${e.calibrationError.n} teeth`),
    ];
    emit(
      values,
      {
        module: "periodontal",
        model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
        data: set.description,
        ...e,
      },
      lines,
    );
  });
}

const evaluateCommand: Command = {
  name: "evaluate",
  summary:
    "a model's figures on a labelled set: accuracy, sensitivity, specificity, precision, recall, ECE, AUC",
  details:
    "--data is a COCO directory (annotations.json: images {id, file_name, laterality}, annotations\n" +
    "{image_id, bbox, attributes {tooth, severity}}) or synthetic:<seed>:<count> (generated like\n" +
    "models/tools/synth.ts; seed 3 is the card's held-out set, seeds 1 and 2 were used in training).\n" +
    "A prediction matches a label at IoU ≥ 0.3. Proportions carry Wilson 95% intervals; ECE is over 10\n" +
    "bins of D_confidence vs matched; AUC is image-level (largest lesion score, Mann–Whitney) with a\n" +
    "Hanley–McNeil interval. See packages/ai/README.md.",
  options: {
    model: { type: "string", value: "caries", description: "the model to evaluate (only caries so far)" },
    module: {
      type: "string",
      value: "caries|periodontal|endodontic|orthodontic|ct|oral-pathology",
      description:
        "periodontal: bone-loss MAE, share within 10 points, stage accuracy; endodontic: per-tooth sensitivity, specificity, AUC, ECE, lesion precision/recall; orthodontic: landmark radial error, SDR 2/4 mm, angle errors, class accuracy; ct: slice and series sensitivity, specificity, AUC, ECE (default synthetic:43:40); oral-pathology: accuracy, per-class sensitivity/specificity and AUC, macro AUC, refer figures, ECE (synthetic data only)",
    },
    data: { type: "string", value: "<dir|synthetic:seed:count>", description: "the labelled set" },
  },
  run: async ({ values }) => {
    if (moduleOption(values) === "periodontal") return evaluatePeriodontal(values);
    if (moduleOption(values) === "endodontic")
      return (await import("./ai-endo.ts")).evaluateEndodontic(values);
    if (moduleOption(values) === "oral-pathology")
      return (await import("./ai-oralpath.ts")).evaluateOralPathology(values);
    if (moduleOption(values) === "orthodontic")
      return (await import("./ai-ortho.ts")).evaluateOrthodontic(values);
    if (moduleOption(values) === "ct") return (await import("./ai-ct.ts")).evaluateCtModule(values);
    const model = (values.model as string | undefined) ?? "caries";
    if (model !== "caries") throw new BttError("INVALID_MESSAGE", `--model ${model}: only caries is known`);
    const data = values.data as string | undefined;
    if (!data)
      throw new BttError("INVALID_MESSAGE", "--data <coco-dir | synthetic:<seed>:<count>> is required");
    const ai = await import("@btt/ai");
    const set = await ai.openLabelledSet(data);
    return withPipeline(ai.CariesPipeline.open(), async (pipeline) => {
      const card = pipeline.model.card;
      const e = await ai.evaluateSet(pipeline, set);
      const rows: [string, Figure][] = [
        ["image accuracy", e.imageAccuracy],
        ["image sensitivity", e.imageSensitivity],
        ["image specificity", e.imageSpecificity],
        ["lesion precision", e.lesionPrecision],
        ["lesion recall", e.lesionRecall],
        ["FDI accuracy (matched)", e.toothAccuracy],
        ["severity accuracy (matched)", e.severityAccuracy],
      ];
      const lines = [
        `${card.id}@${card.version} on ${set.description} (${e.lesions} lesions; synthetic training data, not for clinical use)`,
        ...figureRows(rows),
        aucRow("AUC (image, Mann–Whitney)", e.auc),
        eceRow(e.calibrationError, `${e.calibrationError.n} predictions`),
      ];
      emit(
        values,
        {
          model: { id: card.id, version: card.version, sha256: pipeline.model.sha256 },
          data: set.description,
          ...e,
        },
        lines,
      );
    });
  },
};

const modelsCommand: Command = {
  name: "models",
  summary: "the chain's model registry: models, owners and their pinned versions",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    await withNode(nodeUrlOf(values), async (client) => {
      const { models } = (await client.query("ai", "models")) as {
        models: { id: string; owner: string; task: string; modalities: string[]; latest_version?: string }[];
      };
      const detailed = [];
      for (const m of models) {
        const { versions } = (await client.query("ai", "model", { model_id: m.id })) as {
          versions: { version: string; sha256: string; status: string }[];
        };
        detailed.push({ ...m, versions });
      }
      emit(
        values,
        { models: detailed },
        detailed.length === 0
          ? "no models registered"
          : detailed.flatMap((m) => [
              `${m.id}  ${m.task}  [${m.modalities.join(",")}]  owner ${m.owner}`,
              ...m.versions.map((v) => `  ${v.version}  ${v.status}  sha256 ${v.sha256}`),
            ]),
      );
    });
  },
};

const sampleCommand: Command = {
  name: "sample",
  summary: "write a synthetic bitewing radiograph (DICOM) to try the pipeline and the compute network",
  details:
    "A pure function of --seed (the generator behind the shipped model's training data and the\n" +
    "compute benchmark): soft tissue, bone, teeth and 0-3 proximal lesions. Not a real radiograph.",
  args: [{ name: "file", description: "where to write the .dcm file", optional: true }],
  options: {
    seed: { type: "string", value: "<n>", description: "generator seed (default 1)" },
    out: {
      type: "string",
      value: "<dir>",
      description: "--module ct: the directory the series' files go to",
    },
    "multi-frame": {
      type: "boolean",
      description: "--module ct: one multi-frame file instead of one file per slice",
    },
    module: {
      type: "string",
      value: "caries|periodontal|endodontic|orthodontic|ct|oral-pathology",
      description:
        "periodontal: a posterior view with whole roots and drawn bone loss per tooth; endodontic: a periapical view with drawn periapical lesions; orthodontic: a lateral cephalogram (Class I/II/III); ct: a synthetic head CT series written to --out <dir>; oral-pathology: a periapical view with at most one jaw lesion",
    },
  },
  run: async ({ args, values }) => {
    const [file] = args as [string | undefined];
    const seed = countOption(values, "seed") ?? 1;
    if (moduleOption(values) === "ct") {
      const dir = (values.out as string | undefined) ?? file;
      if (!dir) throw new BttError("INVALID_MESSAGE", "--out <dir> is required for --module ct");
      return (await import("./ai-ct.ts")).sampleCt(dir, seed, values);
    }
    if (!file) throw new BttError("INVALID_MESSAGE", "the file to write is required");
    if (moduleOption(values) === "endodontic")
      return (await import("./ai-endo.ts")).sampleEndodontic(file, seed, values);
    if (moduleOption(values) === "oral-pathology")
      return (await import("./ai-oralpath.ts")).sampleOralPathology(file, seed, values);
    if (moduleOption(values) === "orthodontic")
      return (await import("./ai-ortho.ts")).sampleOrthodontic(file, seed, values);
    if (moduleOption(values) === "periodontal") {
      const ai = await import("@btt/ai");
      const { image, side, teeth } = ai.generatePerio(seed);
      const bytes = await ai.writeDicom({
        rows: image.height,
        cols: image.width,
        frames: [Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 4095))],
        bitsStored: 12,
        laterality: side,
        pixelSpacingMm: [ai.PERIO_PIXEL_SPACING_MM, ai.PERIO_PIXEL_SPACING_MM],
      });
      await mkdir(dirname(resolve(file)), { recursive: true });
      await writeFile(file, bytes);
      const drawn = teeth.map((t) => `${t.tooth} ${t.boneLossPct}% (${t.stage})`).join(", ");
      emit(
        values,
        { file, seed, bytes: bytes.length, teeth },
        `wrote ${file} (synthetic periodontal view, seed ${seed}; drawn bone loss ${drawn})`,
      );
      return;
    }
    const { benchmarkInput } = await import("@btt/ai");
    const bytes = await benchmarkInput(seed);
    await mkdir(dirname(resolve(file)), { recursive: true });
    await writeFile(file, bytes);
    emit(values, { file, seed, bytes: bytes.length }, `wrote ${file} (synthetic bitewing, seed ${seed})`);
  },
};

export const aiCommand: Command = {
  name: "ai",
  summary: "AI diagnostics: analyze radiographs, evaluate a model, list registered models, write samples",
  subcommands: [analyzeCommand, evaluateCommand, modelsCommand, sampleCommand],
};
