import { isAddress } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export const COMPUTE = "compute";
export const PPM = 1_000_000n;

/** One benchmark item: the worker generates the input from `seed` and must answer `result_sha256`. */
export interface BenchmarkItem {
  seed: number;
  resultSha256: string;
}

/**
 * The capability benchmark: items of a reference model with known answers. The chain issues a
 * node enough items to keep its declared TFLOPS busy for `targetMs`, and takes the measured
 * throughput (work done / block time elapsed) as its P_compute.
 */
export interface BenchmarkParams {
  modelId: string;
  modelVersion: string;
  /** Work per item, milli-GFLOP. */
  mgflopPerItem: bigint;
  targetMs: bigint;
  minItems: number;
  items: BenchmarkItem[];
}

export interface ComputeParams {
  bondDenom: string;
  minBond: bigint;
  unbondingBlocks: bigint;
  /** Heartbeats are expected once per this many blocks. */
  heartbeatIntervalBlocks: bigint;
  /** Availability is measured over this many blocks. */
  availabilityWindowBlocks: bigint;
  /** A node whose last heartbeat is older than this gets no new work. */
  heartbeatTimeoutBlocks: bigint;
  /** Least availability for new work. */
  minAvailabilityPpm: bigint;
  maxReplication: number;
  maxShards: number;
  maxDeadlineBlocks: number;
  /** Blocks every committed replica gets to reveal once its shard's last replica committed. */
  revealBlocks: bigint;
  /** A slot is assigned at most this many times before it fails. */
  maxAttempts: number;
  /** Share of the bond slashed for a wrong answer. */
  wrongSlashPpm: bigint;
  /** Share of the bond slashed for a missed deadline. */
  missSlashPpm: bigint;
  /** Faults that jail a node. */
  jailFaults: number;
  jailBlocks: bigint;
  /** Measured throughput below declared × (1 − tolerance) demotes the node. */
  benchmarkTolerancePpm: bigint;
  /** Below this network load the scheduler prefers higher TFLOPS/W. */
  lightLoadPpm: bigint;
  epochBlocks: bigint;
  /** Most the reward pool pays out per epoch (less if it holds less). */
  epochReward: bigint;
  /** Accounts whose seals on canary tasks count (the protocol's auditors). */
  auditors: string[];
  benchmark: BenchmarkParams;
}

export const DEFAULT_COMPUTE_PARAMS = {
  bond_denom: "ubtt",
  min_bond: "1000000",
  unbonding_blocks: "100",
  heartbeat_interval_blocks: "10",
  availability_window_blocks: "1000",
  heartbeat_timeout_blocks: "30",
  min_availability_ppm: 500_000,
  max_replication: 5,
  max_shards: 64,
  max_deadline_blocks: 10_000,
  reveal_blocks: "20",
  max_attempts: 3,
  wrong_slash_ppm: 100_000,
  miss_slash_ppm: 10_000,
  jail_faults: 3,
  jail_blocks: "600",
  benchmark_tolerance_ppm: 500_000,
  light_load_ppm: 300_000,
  epoch_blocks: "100",
  epoch_reward: "10000000",
  auditors: [] as string[],
  benchmark: {
    model_id: "",
    model_version: "",
    mgflop_per_item: "1",
    target_ms: "10000",
    min_items: 2,
    items: [] as Array<{ seed: number; result_sha256: string }>,
  },
};

const HEX32 = /^[0-9a-f]{64}$/;
const U63 = 2n ** 63n;

export function validateComputeParams(raw: unknown): ComputeParams {
  const f = new JsonFields("INVALID_PARAMS", "compute.params");
  const o = f.object(raw);
  const blocks = (field: string, min = 1n) => {
    const v = f.amount(o, field);
    f.check(v >= min && v < U63, `must be from ${min} to 2^63 − 1`, field);
    return v;
  };
  const ppm = (field: string) => BigInt(f.integer(o, field, 0, 1_000_000));
  const auditors = f.array(o, "auditors", []).map((a, i) => {
    f.check(typeof a === "string" && isAddress(a), "must be an address", `auditors[${i}]`);
    return a as string;
  });
  const bf = f.at("benchmark");
  const b = bf.object(o.benchmark ?? DEFAULT_COMPUTE_PARAMS.benchmark);
  const items = bf.array(b, "items").map((raw, i) => {
    const itf = bf.at(`items[${i}]`);
    const it = itf.object(raw);
    const resultSha256 = itf.string(it, "result_sha256");
    itf.check(HEX32.test(resultSha256), "must be 64 lowercase hex characters", "result_sha256");
    return { seed: itf.integer(it, "seed", 0, 2 ** 32 - 1), resultSha256 };
  });
  const benchmark: BenchmarkParams = {
    modelId: bf.string(b, "model_id"),
    modelVersion: bf.string(b, "model_version"),
    mgflopPerItem: bf.amount(b, "mgflop_per_item"),
    targetMs: bf.amount(b, "target_ms"),
    minItems: bf.integer(b, "min_items", 1, 10_000),
    items,
  };
  bf.check(benchmark.mgflopPerItem > 0n, "must be positive", "mgflop_per_item");
  bf.check(items.length === 0 || benchmark.modelId !== "", "needs a model_id when it has items", "model_id");
  return {
    bondDenom: f.string(o, "bond_denom"),
    minBond: f.amount(o, "min_bond"),
    unbondingBlocks: blocks("unbonding_blocks"),
    heartbeatIntervalBlocks: blocks("heartbeat_interval_blocks"),
    availabilityWindowBlocks: blocks("availability_window_blocks"),
    heartbeatTimeoutBlocks: blocks("heartbeat_timeout_blocks"),
    minAvailabilityPpm: ppm("min_availability_ppm"),
    maxReplication: f.integer(o, "max_replication", 1, 15),
    maxShards: f.integer(o, "max_shards", 1, 1024),
    maxDeadlineBlocks: f.integer(o, "max_deadline_blocks", 1, 1_000_000),
    revealBlocks: blocks("reveal_blocks"),
    maxAttempts: f.integer(o, "max_attempts", 1, 100),
    wrongSlashPpm: ppm("wrong_slash_ppm"),
    missSlashPpm: ppm("miss_slash_ppm"),
    jailFaults: f.integer(o, "jail_faults", 1, 1000),
    jailBlocks: blocks("jail_blocks"),
    benchmarkTolerancePpm: ppm("benchmark_tolerance_ppm"),
    lightLoadPpm: ppm("light_load_ppm"),
    epochBlocks: blocks("epoch_blocks"),
    epochReward: f.amount(o, "epoch_reward"),
    auditors: [...new Set(auditors)].sort(),
    benchmark,
  };
}

export class ComputeParamsStore {
  private readonly store = new ParamsStore(COMPUTE, validateComputeParams);
  read(kv: KVStore): ComputeParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, COMPUTE));
  }
  write(kv: KVStore, raw: unknown): ComputeParams {
    return this.store.set(new PrefixStore(kv, COMPUTE), raw);
  }
}
