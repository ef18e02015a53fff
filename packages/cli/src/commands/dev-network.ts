// What a dev chain needs so `btt start` + `btt worker` + `btt compute submit` work with no extra
// step: the shipped reference models (caries, periodontal) in the ai registry, the caries
// benchmark suite in the compute parameters, credentials for the demo accounts, an auditor, a
// short epoch and a funded reward pool.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModelCard } from "@btt/ai";
import type { DevGenesisOptions } from "@btt/node";

/** The shipped reference models (models/<name>/card.json), beside this repository's packages. */
export const MODELS_DIR = fileURLToPath(new URL("../../../../models/", import.meta.url));
/** The model whose benchmark suite the dev chain's compute parameters carry. */
export const CARIES_DIR = join(MODELS_DIR, "caries/");

/** Where a dev chain's nodes and patients are: one jurisdiction, so data never has to leave it. */
export const DEV_JURISDICTION = "DE";
/** The home's compute worker: a keyring key (also in <home>/keys), funded for its bond and fees. */
export const WORKER_ACCOUNT = "worker";
export const WORKER_BALANCE_UBTT = 1_000_000_000n;
export const DEV_EPOCH_BLOCKS = 20n;
export const DEV_REWARD_POOL_UBTT = 100_000_000n;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** What the genesis needs of a model card (models/<name>/card.json). */
type CardJson = Pick<ModelCard, "id" | "version" | "task" | "modality" | "file" | "sha256" | "sizeBytes">;

/**
 * Every shipped model (each folder of models/ with a card.json, in name order) as the ai module's
 * genesis lists it, owned by `owner` and published at `publishedAtMs`; none when there are no cards.
 */
export function shippedModelsGenesis(
  owner: string,
  publishedAtMs: bigint,
  modelsDir = MODELS_DIR,
): unknown[] {
  if (!existsSync(modelsDir)) return [];
  const folders = readdirSync(modelsDir)
    .filter((name) => existsSync(join(modelsDir, name, "card.json")))
    .sort();
  return folders.map((folder) => {
    const bytes = readFileSync(join(modelsDir, folder, "card.json"));
    const card = JSON.parse(bytes.toString("utf8")) as CardJson;
    return {
      id: card.id,
      owner,
      task: card.task,
      modalities: card.modality,
      description: `reference ${card.task} model (synthetic training data, not for clinical use)`,
      registered_at_ms: publishedAtMs.toString(),
      versions: [
        {
          version: card.version,
          sha256: card.sha256,
          card_sha256: sha256(bytes),
          uri: `models/${folder}/${card.file}`,
          size_bytes: String(card.sizeBytes),
          status: "active",
          published_at_ms: publishedAtMs.toString(),
        },
      ],
    };
  });
}

const BENCHMARK_FIELDS = ["model_id", "model_version", "mgflop_per_item", "target_ms", "min_items", "items"];

/** The benchmark suite `npm run gen:benchmark` wrote (models/caries/benchmark.json); none when absent. */
export function cariesBenchmark(dir = CARIES_DIR): Record<string, unknown> | undefined {
  const path = `${dir}benchmark.json`;
  if (!existsSync(path)) return undefined;
  const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  return Object.fromEntries(BENCHMARK_FIELDS.filter((k) => raw[k] !== undefined).map((k) => [k, raw[k]]));
}

/**
 * The dev genesis' compute network: every demo account may operate nodes in DEV_JURISDICTION,
 * the first (the CLI's default requester) is also a patient there and owns the model; the worker
 * operates its own node; the last demo account audits.
 */
export function devNetworkGenesis(
  demoAccounts: readonly string[],
  workerAccount: string,
  addresses: Record<string, string>,
  genesisTimeMs: bigint,
): Pick<DevGenesisOptions, "credentials" | "aiModels" | "compute"> {
  const demo = demoAccounts.map((name) => addresses[name]!);
  const benchmark = cariesBenchmark();
  return {
    credentials: [
      ...demo.map((subject) => ({ subject, type: "node_operator" as const, jurisdiction: DEV_JURISDICTION })),
      { subject: demo[0]!, type: "patient" as const, jurisdiction: DEV_JURISDICTION },
      { subject: addresses[workerAccount]!, type: "node_operator" as const, jurisdiction: DEV_JURISDICTION },
    ],
    aiModels: shippedModelsGenesis(demo[0]!, genesisTimeMs),
    compute: {
      ...(benchmark ? { benchmark } : {}),
      auditors: [demo[demo.length - 1]!],
      epochBlocks: DEV_EPOCH_BLOCKS,
      rewardPoolUbtt: DEV_REWARD_POOL_UBTT,
    },
  };
}
