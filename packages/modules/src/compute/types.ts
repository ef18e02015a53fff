// The compute module's records: nodes of the DePIN network, tasks and their slots.
// Every number that takes part in consensus is an integer (bigint or a small safe integer):
// TFLOPS are held in milli-TFLOPS, shares and rates in parts per million.

/** Urgency of a task: stat tasks are scheduled first, then urgent, then routine. */
export const URGENCIES = ["stat", "urgent", "routine"] as const;
export type Urgency = (typeof URGENCIES)[number];
export const isUrgency = (u: string): u is Urgency => (URGENCIES as readonly string[]).includes(u);
/** Lower ranks are served first. */
export const urgencyRank = (u: Urgency): number => URGENCIES.indexOf(u);

export type NodeStatus =
  /** Registered; waiting for its capability benchmark. */
  | "benchmarking"
  | "active"
  | "paused"
  | "jailed"
  /** Leaving: takes no new work; its bond is withdrawable from `unbondingMatureHeight`. */
  | "unbonding";

export interface Hardware {
  /** The accelerator's model name, e.g. "NVIDIA RTX 4090" or "cpu". */
  accelerator: string;
  /** Number of accelerators (0 for a CPU-only node). */
  gpuCount: number;
  /** Accelerator memory in GB (all accelerators together). */
  memoryGb: number;
  /** Declared peak throughput, milli-TFLOPS (1000 = 1 TFLOPS). */
  tflopsMilli: bigint;
  /** Power draw at load, watts. */
  powerW: number;
  cpuCores: number;
}

/** Counters of a node's record. */
export interface NodeRecord {
  /** Slots assigned to it, ever. */
  assigned: bigint;
  /** Slots whose result was verified correct. */
  successful: bigint;
  /** Slots it answered wrongly (outvoted or failed an audit). */
  wrong: bigint;
  /** Slots it let pass their deadline. */
  missed: bigint;
  /** Verified slots whose data was of the node's own jurisdiction (D_factor's locality). */
  local: bigint;
  /** Faults since it was last jailed (wrong answers and missed deadlines). */
  faults: number;
  /** Fees paid to its operator for verified slots. */
  earned: bigint;
  /** Epoch rewards paid to its operator. */
  rewarded: bigint;
  slashed: bigint;
}

/** Work settled in the current epoch (reset when the epoch's rewards are paid). */
export interface EpochWork {
  successful: bigint;
  /** Settled slots: verified, wrong or missed. */
  total: bigint;
  local: bigint;
}

export interface ComputeNode {
  /** The worker's account address: it signs heartbeats, commits and reveals. The node's id. */
  id: string;
  operator: string;
  /** The worker's X25519 public key (32 bytes, hex): inputs are wrapped for it. */
  encryptionKey: string;
  hardware: Hardware;
  /** ISO 3166-1 alpha-2 code of where the node computes. */
  jurisdiction: string;
  /** Free-form region within the jurisdiction (e.g. "cn-east"), for locality. */
  region: string;
  /** Bonded amount of the bond denomination. */
  bond: bigint;
  /** What it charges per slot, in the bond denomination. */
  price: bigint;
  /** Most slots it runs at once. */
  capacity: number;
  /** Slots assigned and not yet settled. */
  load: number;
  status: NodeStatus;
  /** Tier from its declaration (0 = CPU / below Tier 1). */
  declaredTier: number;
  /** Tier confirmed by its benchmark; 0 until measured. */
  tier: number;
  /** P_compute: measured throughput (milli-TFLOPS), 0 until benchmarked. */
  measuredTflopsMilli: bigint;
  registeredHeight: bigint;
  /** Heights of its heartbeats within the availability window (ascending). */
  heartbeats: bigint[];
  record: NodeRecord;
  epoch: EpochWork;
  jailedUntilHeight: bigint;
  unbondingMatureHeight: bigint;
}

export type SlotState =
  /** Waiting for the scheduler. */
  | "pending"
  | "assigned"
  | "committed"
  | "revealed"
  /** Settled: the slot's result matched the shard's verified result. */
  | "verified"
  /** Settled: outvoted by the majority. */
  | "wrong"
  /** Settled: no result (every attempt missed its deadline, or no majority). */
  | "failed";

/** One replica of one shard of a task: what one node computes once. */
export interface Slot {
  shard: number;
  replica: number;
  state: SlotState;
  node?: string;
  assignedHeight?: bigint;
  /** The last height at which a commit (then a reveal) is accepted. */
  deadlineHeight?: bigint;
  /** SHA-256(task id ‖ shard ‖ replica ‖ node ‖ result hash ‖ salt), hex. */
  commitment?: string;
  /** SHA-256 of the canonical result, hex. */
  resultSha256?: string;
  /** The encrypted result's blob (SHA-256 hex), wrapped for the requester. */
  resultBlob?: string;
  /** Nodes that held this slot before and missed its deadline (never assigned it again). */
  missedBy: string[];
  /** The requester's wrapped content key for the assigned node (records' WrappedKeyEntry fields, hex). */
  inputKey?: { ephemeralPublicKey: string; wrappedKey: string; nonce: string };
  /** Paid to the node's operator when verified. */
  paid: bigint;
}

export type TaskState = "open" | "done" | "failed";

export interface Task {
  id: bigint;
  requester: string;
  modelId: string;
  modelVersion: string;
  /** Record ids of the inputs: one shard each. */
  inputs: string[];
  dataClass: string;
  /** Jurisdiction of the data (its records'). */
  jurisdiction: string;
  urgency: Urgency;
  /** Blocks a node has from assignment to reveal. */
  deadlineBlocks: bigint;
  /** Most the requester pays per slot; escrowed for every slot. */
  maxFee: bigint;
  replication: number;
  /** Least tier a node must have. */
  minTier: number;
  /** An opaque 32-byte value (hex): an auditor's sealed answer on canaries, random otherwise. */
  seal: string;
  submittedHeight: bigint;
  state: TaskState;
  slots: Slot[];
  /** Per shard, the verified result hash ("" until verified or when it failed). */
  results: string[];
  /** Once done: the shards' results merged, SHA-256("btt/compute/result-root/v1" ‖ each result in shard order). */
  resultRoot?: string;
  escrow: bigint;
  audited: boolean;
}

/** What the scheduler sees of a node: a compact, read-only summary. */
export interface SchedulerNode {
  readonly id: string;
  readonly jurisdiction: string;
  readonly region: string;
  readonly tier: number;
  readonly memoryGb: number;
  readonly price: bigint;
  /** Slots it can still take in this pass (capacity − load). */
  readonly free: number;
  /** E_node in ppm (higher is better). */
  readonly efficiencyPpm: bigint;
  /** Measured TFLOPS per W, in ppm of 1 TFLOPS/W. */
  readonly tflopsPerWattPpm: bigint;
}

/** What the scheduler sees of a slot waiting for a node. */
export interface SchedulerSlot {
  readonly taskId: bigint;
  readonly shard: number;
  readonly replica: number;
  readonly urgency: Urgency;
  readonly dataClass: string;
  readonly jurisdiction: string;
  readonly minTier: number;
  readonly maxFee: bigint;
  /** Nodes that may not take it: other replicas of its shard, and nodes that missed it. */
  readonly excluded: readonly string[];
}

export interface Assignment {
  readonly taskId: bigint;
  readonly shard: number;
  readonly replica: number;
  readonly node: string;
}
