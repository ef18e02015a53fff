// The compute network from the client side: its queries as typed calls, its messages built and
// checked before signing, input keys handed to the nodes a task's slots were assigned to, and a
// task followed from submission to its verified result (browser-safe: @noble and the builders only).
import {
  BttError,
  decodeAddress,
  fromHex,
  type Msg,
  MsgCommitResultSchema,
  MsgGrantInputSchema,
  MsgHeartbeatSchema,
  MsgNodeActionSchema,
  MsgOpenAuditSchema,
  MsgRegisterNodeSchema,
  MsgRevealResultSchema,
  MsgSubmitBenchmarkSchema,
  MsgSubmitTaskSchema,
  MsgUpdateNodeSchema,
} from "@btt/core";
import { computeMsg } from "@btt/modules/compute/builders";
import { requireJurisdiction } from "@btt/modules/identity/validation";
import type { DescMessage } from "@bufbuild/protobuf";
import { randomBytes } from "@noble/ciphers/utils.js";
import { type AmountInput, toBaseUnits } from "./amounts.ts";
import type { SubmitJson } from "./api-types.ts";
import type { BttClient } from "./client.ts";
import { BttApiError, TimeoutError } from "./errors.ts";
import { type EncryptionKeyPair, unwrapContentKey, wrapContentKey, wrappedKeysFromJson } from "./records.ts";

export const COMPUTE_MESSAGE_SCHEMAS: ReadonlyArray<[string, DescMessage]> = [
  ["compute/RegisterNode", MsgRegisterNodeSchema],
  ["compute/UpdateNode", MsgUpdateNodeSchema],
  ["compute/PauseNode", MsgNodeActionSchema],
  ["compute/ResumeNode", MsgNodeActionSchema],
  ["compute/UnbondNode", MsgNodeActionSchema],
  ["compute/WithdrawNode", MsgNodeActionSchema],
  ["compute/UnjailNode", MsgNodeActionSchema],
  ["compute/Heartbeat", MsgHeartbeatSchema],
  ["compute/SubmitBenchmark", MsgSubmitBenchmarkSchema],
  ["compute/SubmitTask", MsgSubmitTaskSchema],
  ["compute/GrantInput", MsgGrantInputSchema],
  ["compute/CommitResult", MsgCommitResultSchema],
  ["compute/RevealResult", MsgRevealResultSchema],
  ["compute/OpenAudit", MsgOpenAuditSchema],
];

// ---- the API's JSON (GET /v1/queries/compute/<name>): snake_case, integers as decimal strings ----

export interface HardwareJson {
  accelerator: string;
  gpu_count: number;
  memory_gb: number;
  tflops_milli: string;
  power_w: number;
  cpu_cores: number;
}

export type NodeStatus = "benchmarking" | "active" | "paused" | "jailed" | "unbonding";

export interface ComputeNodeJson {
  id: string;
  operator: string;
  encryption_key: string;
  hardware: HardwareJson;
  jurisdiction: string;
  region: string;
  bond: string;
  price: string;
  capacity: number;
  load: number;
  status: NodeStatus;
  declared_tier: number;
  tier: number;
  measured_tflops_milli: string;
  registered_height: string;
  heartbeats: string[];
  record: {
    assigned: string;
    successful: string;
    wrong: string;
    missed: string;
    local: string;
    faults: number;
    earned: string;
    rewarded: string;
    slashed: string;
  };
  epoch: { successful: string; total: string; local: string };
  jailed_until_height: string;
  unbonding_mature_height: string;
  availability_ppm: string;
  efficiency_ppm: string;
}

export type SlotState = "pending" | "assigned" | "committed" | "revealed" | "verified" | "wrong" | "failed";

export interface InputKeyJson {
  ephemeral_public_key: string;
  wrapped_key: string;
  nonce: string;
}

export interface SlotJson {
  shard: number;
  replica: number;
  state: SlotState;
  node?: string;
  assigned_height?: string;
  deadline_height?: string;
  commitment?: string;
  result_sha256?: string;
  result_blob?: string;
  missed_by: string[];
  input_key?: InputKeyJson;
  paid: string;
}

export interface ComputeTaskJson {
  id: string;
  requester: string;
  model_id: string;
  model_version: string;
  inputs: string[];
  data_class: string;
  jurisdiction: string;
  urgency: Urgency;
  deadline_blocks: string;
  max_fee: string;
  replication: number;
  min_tier: number;
  seal: string;
  submitted_height: string;
  state: "open" | "done" | "failed";
  slots: SlotJson[];
  /** Per shard, the verified result hash ("" until verified, or when it failed). */
  results: string[];
  escrow: string;
  audited: boolean;
}

export interface AssignmentJson {
  task_id: string;
  shard: number;
  replica: number;
  state: "assigned" | "committed";
  model_id: string;
  model_version: string;
  record_id: string;
  requester: string;
  deadline_height?: string;
  /** The requester's wrapped content key for this node, once granted. */
  input_key: InputKeyJson | null;
  reveal_open: boolean;
}

export interface BenchmarkJson {
  worker: string;
  model_id: string;
  model_version: string;
  seeds: number[];
  issued_height: string;
}

export interface ComputePoolJson {
  escrow_account: string;
  escrow_balance: string;
  reward_pool: string;
  reward_pool_balance: string;
  denom: string;
}

/** A record as the records module's `record` query shows it (the fields compute needs). */
export interface RecordPointerJson {
  id: string;
  owner: string;
  blob_sha256: string;
  wrapped_keys: Array<Record<string, string>>;
}

// ---- queries ----

const queryCompute = <T>(client: BttClient, name: string, params: Record<string, string> = {}) =>
  client.query("compute", name, params) as Promise<T>;

const taskIdText = (id: bigint | number | string, what = "task id"): string => {
  const text = String(id);
  if (!/^[0-9]{1,19}$/.test(text)) throw new BttError("INVALID_MESSAGE", `${what} must be a whole number`);
  return text;
};

const defined = (o: Record<string, string | number | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])));

/** The compute module's parameters, as stored (canonical JSON). */
export const getComputeParams = (client: BttClient) =>
  queryCompute<Record<string, unknown>>(client, "params");

/** One node with its record, availability and E_node (ppm). */
export async function getComputeNode(client: BttClient, worker: string): Promise<ComputeNodeJson> {
  decodeAddress(worker, "worker");
  return queryCompute(client, "node", { worker });
}

/** Nodes in worker address order, optionally of one operator, status or jurisdiction. */
export async function listComputeNodes(
  client: BttClient,
  filter: { operator?: string; status?: NodeStatus; jurisdiction?: string; limit?: number } = {},
): Promise<ComputeNodeJson[]> {
  if (filter.operator) decodeAddress(filter.operator, "operator");
  const r = await queryCompute<{ nodes: ComputeNodeJson[] }>(client, "nodes", defined(filter));
  return r.nodes;
}

/** One task with its slots and results. */
export async function getComputeTask(
  client: BttClient,
  id: bigint | number | string,
): Promise<ComputeTaskJson> {
  return queryCompute(client, "task", { id: taskIdText(id) });
}

/** Tasks in id order: a requester's, or every task after `after`. */
export async function listComputeTasks(
  client: BttClient,
  filter: { requester?: string; after?: bigint | number | string; limit?: number } = {},
): Promise<ComputeTaskJson[]> {
  if (filter.requester) decodeAddress(filter.requester, "requester");
  const r = await queryCompute<{ tasks: ComputeTaskJson[] }>(
    client,
    "tasks",
    defined({
      requester: filter.requester,
      after: filter.after === undefined ? undefined : taskIdText(filter.after, "after"),
      limit: filter.limit,
    }),
  );
  return r.tasks;
}

/** The open slots assigned to a node, with the input's record and (once granted) its wrapped key. */
export async function getAssignments(client: BttClient, worker: string): Promise<AssignmentJson[]> {
  decodeAddress(worker, "worker");
  return (await queryCompute<{ assignments: AssignmentJson[] }>(client, "assignments", { worker }))
    .assignments;
}

/** The benchmark outstanding for a node (NOT_FOUND when none is). */
export async function getBenchmark(client: BttClient, worker: string): Promise<BenchmarkJson> {
  decodeAddress(worker, "worker");
  return queryCompute(client, "benchmark", { worker });
}

/** What the module holds: bonds and escrow, and the reward pool. */
export const getComputePool = (client: BttClient) => queryCompute<ComputePoolJson>(client, "pool");

// ---- messages ----

export type Urgency = "stat" | "urgent" | "routine";
const URGENCIES: readonly string[] = ["stat", "urgent", "routine"];

export interface HardwareInput {
  accelerator: string;
  gpuCount: number;
  memoryGb: number;
  /** Declared peak throughput in milli-TFLOPS (1000 = 1 TFLOPS). */
  tflopsMilli: bigint | number;
  powerW: number;
  cpuCores: number;
}

function address(text: string, what: string): string {
  decodeAddress(text, what);
  return text;
}

function bytesOf(input: Uint8Array | string, length: number, what: string): Uint8Array {
  const bytes = typeof input === "string" ? hexBytes(input, what) : input;
  if (bytes.length !== length) {
    throw new BttError("INVALID_MESSAGE", `${what} must be ${length} bytes`, { field: what });
  }
  return bytes;
}

function hexBytes(text: string, what: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(text))
    throw new BttError("INVALID_MESSAGE", `${what} is not hex`, { field: what });
  return fromHex(text.toLowerCase());
}

function smallInt(value: number, min: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BttError("INVALID_MESSAGE", `${what} must be a whole number from ${min} to ${max}`, {
      field: what,
    });
  }
  return value;
}

function positiveAmount(value: AmountInput, what: string): bigint {
  const v = toBaseUnits(value, undefined, what);
  if (v <= 0n) throw new BttError("INVALID_AMOUNT", `${what} must be positive`, { field: what });
  return v;
}

function hardware(h: HardwareInput) {
  if (typeof h.accelerator !== "string" || h.accelerator.length < 1 || h.accelerator.length > 64) {
    throw new BttError("INVALID_MESSAGE", "hardware.accelerator must be 1 to 64 characters", {
      field: "hardware.accelerator",
    });
  }
  const u32 = 2 ** 32 - 1;
  return {
    accelerator: h.accelerator,
    gpuCount: smallInt(h.gpuCount, 0, u32, "hardware.gpuCount"),
    memoryGb: smallInt(h.memoryGb, 0, u32, "hardware.memoryGb"),
    tflopsMilli: BigInt(smallInt(Number(h.tflopsMilli), 1, Number.MAX_SAFE_INTEGER, "hardware.tflopsMilli")),
    powerW: smallInt(h.powerW, 0, u32, "hardware.powerW"),
    cpuCores: smallInt(h.cpuCores, 0, u32, "hardware.cpuCores"),
  };
}

export type NodeAction = "pause" | "resume" | "unbond" | "withdraw" | "unjail";
export const NODE_ACTIONS: readonly NodeAction[] = ["pause", "resume", "unbond", "withdraw", "unjail"];

/**
 * Builders of the compute module's messages, checked before signing where the rule is the
 * message's own (addresses, sizes, amounts); what depends on state (credentials, bonds) is the chain's.
 */
export const compute = {
  /** An operator (holding a node_operator credential in `jurisdiction`) registers a worker with a bond. */
  registerNode(p: {
    worker: string;
    /** The worker's X25519 public key (32 bytes, or 64 hex digits). */
    encryptionKey: Uint8Array | string;
    hardware: HardwareInput;
    jurisdiction: string;
    region?: string;
    bond: AmountInput;
    price: AmountInput;
    capacity: number;
  }): Msg {
    const region = p.region ?? "";
    if (!/^[a-z0-9-]{0,32}$/.test(region)) {
      throw new BttError("INVALID_MESSAGE", "region must be 0-32 of a-z 0-9 -", { field: "region" });
    }
    return computeMsg.registerNode({
      worker: address(p.worker, "worker"),
      encryptionKey: bytesOf(p.encryptionKey, 32, "encryptionKey"),
      hardware: hardware(p.hardware),
      jurisdiction: requireJurisdiction(p.jurisdiction),
      region,
      bond: positiveAmount(p.bond, "bond"),
      price: toBaseUnits(p.price, undefined, "price"),
      capacity: smallInt(p.capacity, 1, 1024, "capacity"),
    });
  },
  /** Changes a node's price, capacity or hardware, or adds to its bond. */
  updateNode(p: {
    worker: string;
    price?: AmountInput;
    capacity?: number;
    addBond?: AmountInput;
    hardware?: HardwareInput;
  }): Msg {
    return computeMsg.updateNode({
      worker: address(p.worker, "worker"),
      ...(p.price !== undefined ? { price: toBaseUnits(p.price, undefined, "price") } : {}),
      ...(p.capacity !== undefined ? { capacity: smallInt(p.capacity, 1, 1024, "capacity") } : {}),
      ...(p.addBond !== undefined ? { addBond: positiveAmount(p.addBond, "addBond") } : {}),
      ...(p.hardware ? { hardware: hardware(p.hardware) } : {}),
    });
  },
  /** pause / resume / unbond / withdraw / unjail, by the node's operator. */
  nodeAction(action: NodeAction, worker: string): Msg {
    if (!NODE_ACTIONS.includes(action)) {
      throw new BttError("INVALID_MESSAGE", `a node action is one of ${NODE_ACTIONS.join(", ")}`, {
        field: "action",
      });
    }
    return computeMsg.nodeAction(action, address(worker, "worker"));
  },
  submitTask,
  /** An auditor opens a canary task's seal: the expected result hashes and the salt. */
  openAudit(p: {
    taskId: bigint | number | string;
    expectedSha256: ReadonlyArray<Uint8Array | string>;
    salt: Uint8Array;
  }): Msg {
    if (p.expectedSha256.length === 0) throw new BttError("INVALID_MESSAGE", "expectedSha256 is empty");
    if (p.salt.length < 16 || p.salt.length > 64)
      throw new BttError("INVALID_MESSAGE", "salt must be 16 to 64 bytes");
    return computeMsg.openAudit({
      taskId: BigInt(taskIdText(p.taskId)),
      expectedSha256: p.expectedSha256.map((h, i) => bytesOf(h, 32, `expectedSha256[${i}]`)),
      salt: p.salt,
    });
  },
};

export interface TaskRequest {
  modelId: string;
  modelVersion?: string;
  /** Record ids of the inputs, one shard each; the sender owns each record or holds consent. */
  inputRecordIds: readonly string[];
  urgency?: Urgency;
  /** Blocks a node has from assignment to reveal. */
  deadlineBlocks: number;
  /** Most paid per slot, in base units of the bond denomination; escrowed for every slot. */
  maxFee: AmountInput;
  replication?: number;
  minTier?: number;
  /** 32 bytes; drawn at random when absent (an ordinary task: only canaries carry an auditor's seal). */
  seal?: Uint8Array;
}

/** compute/SubmitTask for an ordinary task: a random seal unless one is given. */
export function submitTask(p: TaskRequest): Msg {
  if (typeof p.modelId !== "string" || p.modelId === "") {
    throw new BttError("INVALID_MESSAGE", "modelId is required", { field: "modelId" });
  }
  if (p.inputRecordIds.length === 0)
    throw new BttError("INVALID_MESSAGE", "a task needs at least one input record");
  p.inputRecordIds.forEach((id, i) => {
    if (!/^[A-Za-z0-9._:-]{1,64}$/.test(id)) {
      throw new BttError("INVALID_MESSAGE", `inputRecordIds[${i}] "${id}" is not a record id`, {
        field: "inputRecordIds",
      });
    }
  });
  if (new Set(p.inputRecordIds).size !== p.inputRecordIds.length) {
    throw new BttError("INVALID_MESSAGE", "inputRecordIds repeat a record", { field: "inputRecordIds" });
  }
  const urgency = p.urgency ?? "routine";
  if (!URGENCIES.includes(urgency)) {
    throw new BttError("INVALID_MESSAGE", `urgency must be stat, urgent or routine, not "${urgency}"`, {
      field: "urgency",
    });
  }
  return computeMsg.submitTask({
    modelId: p.modelId,
    ...(p.modelVersion ? { modelVersion: p.modelVersion } : {}),
    inputRecordIds: [...p.inputRecordIds],
    urgency,
    deadlineBlocks: smallInt(p.deadlineBlocks, 1, 2 ** 32 - 1, "deadlineBlocks"),
    maxFee: positiveAmount(p.maxFee, "maxFee"),
    replication: smallInt(p.replication ?? 1, 1, 15, "replication"),
    minTier: smallInt(p.minTier ?? 0, 0, 4, "minTier"),
    seal: p.seal ? bytesOf(p.seal, 32, "seal") : randomBytes(32),
  });
}

/** The id of the task a committed SubmitTask created (its compute/task_submitted event). */
export function taskIdOf(result: SubmitJson): string {
  const event = (result.events ?? []).find((e) => e.type === "compute/task_submitted");
  const id = event?.attributes.find((a) => a.key === "task")?.value;
  if (!id) throw new BttError("NOT_FOUND", `tx ${result.hash} submitted no compute task`);
  return id;
}

/**
 * compute/GrantInput for one slot: the record's content key, unwrapped with the requester's
 * X25519 keys, wrapped again for the node's key. The wrapped key names the node's worker address
 * as its recipient (the worker unwraps with that address), so it opens for that node only.
 */
export function grantInput(
  task: Pick<ComputeTaskJson, "id" | "requester" | "inputs" | "slots">,
  shard: number,
  replica: number,
  record: RecordPointerJson,
  requesterKeys: EncryptionKeyPair,
  nodeEncryptionKeyHex: string,
): Msg {
  const slot = task.slots.find((s) => s.shard === shard && s.replica === replica);
  if (!slot) throw new BttError("NOT_FOUND", `task ${task.id} has no shard ${shard} replica ${replica}`);
  if (!slot.node)
    throw new BttError("CONFLICT", `task ${task.id} shard ${shard} replica ${replica} is not assigned yet`);
  if (task.inputs[shard] !== record.id) {
    throw new BttError(
      "INVALID_MESSAGE",
      `shard ${shard} of task ${task.id} is record ${task.inputs[shard]}, not ${record.id}`,
    );
  }
  const mine = wrappedKeysFromJson(record.wrapped_keys).find((w) => w.recipient === task.requester);
  if (!mine) throw new BttError("NOT_FOUND", `record ${record.id} has no key wrapped for ${task.requester}`);
  const contentKey = unwrapContentKey(mine, requesterKeys);
  const forNode = wrapContentKey(
    contentKey,
    slot.node,
    bytesOf(nodeEncryptionKeyHex, 32, "node encryption key"),
  );
  return computeMsg.grantInput({
    taskId: BigInt(task.id),
    shard,
    replica,
    ephemeralPublicKey: forNode.ephemeralPublicKey,
    wrappedKey: forNode.wrappedKey,
    nonce: forNode.nonce,
  });
}

// ---- following a task ----

export type TaskProgress =
  | { stage: "submitted"; task: ComputeTaskJson }
  | {
      stage: "assigned";
      task: ComputeTaskJson;
      shard: number;
      replica: number;
      node: string;
      assigned: number;
      slots: number;
    }
  | {
      stage: "input_granted";
      task: ComputeTaskJson;
      shard: number;
      replica: number;
      node: string;
      tx: string;
    }
  | { stage: "committed"; task: ComputeTaskJson; shard: number; replica: number; node: string }
  | {
      stage: "revealed";
      task: ComputeTaskJson;
      shard: number;
      replica: number;
      node: string;
      resultSha256: string;
    }
  | { stage: "verified"; task: ComputeTaskJson; shard: number; resultSha256: string; paid: string }
  | { stage: "failed"; task: ComputeTaskJson; shard: number }
  | { stage: "finished"; task: ComputeTaskJson; state: "done" | "failed" };

export interface FollowOptions {
  /** Polls the task this often (default 250 ms). */
  pollMs?: number;
  /** Gives up with a TimeoutError after this long (default: never). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * With the requester's X25519 keys, every newly assigned slot gets its input key at once
   * (compute/GrantInput, one tx per poll for all new slots), sent by `submit`.
   */
  grant?: {
    keys: EncryptionKeyPair;
    /** Signs and sends the grants (e.g. `(m) => client.signAndSubmit(requester, m)`). */
    submit: (messages: Msg[]) => Promise<SubmitJson>;
  };
}

const slotKey = (s: SlotJson) => `${s.shard}/${s.replica}`;
const ACTIVE: readonly SlotState[] = ["assigned", "committed", "revealed", "verified", "wrong"];

/**
 * Follows a task until it settles, yielding each step once, in order: submitted, each slot's
 * assignment (and re-assignment after a missed deadline), input grants, commits, reveals, each
 * shard verified or failed, then finished.
 */
export async function* followTask(
  client: BttClient,
  taskId: bigint | number | string,
  opts: FollowOptions = {},
): AsyncGenerator<TaskProgress> {
  const id = taskIdText(taskId);
  const pollMs = opts.pollMs ?? 250;
  const deadline = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
  const seen = new Map<string, string>();
  const granted = new Set<string>();
  const settledShards = new Set<number>();
  const records = new Map<string, RecordPointerJson>();
  const nodeKeys = new Map<string, string>();
  let first = true;
  for (;;) {
    opts.signal?.throwIfAborted();
    const task = await getComputeTask(client, id);
    if (first) {
      first = false;
      yield { stage: "submitted", task };
    }
    const assignedCount = () => task.slots.filter((s) => ACTIVE.includes(s.state)).length;
    const toGrant: SlotJson[] = [];
    for (const slot of task.slots) {
      const key = slotKey(slot);
      const was = seen.get(key);
      const now = `${slot.state}@${slot.node ?? ""}`;
      if (was === now) continue;
      seen.set(key, now);
      const at = { task, shard: slot.shard, replica: slot.replica, node: slot.node ?? "" };
      const [wasState, wasNode] = (was ?? "pending@").split("@") as [SlotState, string];
      // A slot may move several steps between two polls: report each step it passed.
      const steps: SlotState[] = ["assigned", "committed", "revealed"];
      const from = wasNode !== (slot.node ?? "") ? -1 : steps.indexOf(wasState);
      const to = steps.indexOf(slot.state === "verified" || slot.state === "wrong" ? "revealed" : slot.state);
      for (let i = from + 1; i <= to; i++) {
        const step = steps[i]!;
        if (step === "assigned")
          yield { stage: "assigned", ...at, assigned: assignedCount(), slots: task.slots.length };
        else if (step === "committed") yield { stage: "committed", ...at };
        else if (slot.result_sha256) yield { stage: "revealed", ...at, resultSha256: slot.result_sha256 };
      }
      if (slot.state === "assigned" && !slot.input_key && slot.node && !granted.has(`${key}@${slot.node}`)) {
        toGrant.push(slot);
      }
    }
    if (opts.grant && toGrant.length > 0 && task.state === "open") {
      const messages: Msg[] = [];
      for (const slot of toGrant) {
        const recordId = task.inputs[slot.shard]!;
        let record = records.get(recordId);
        if (!record) {
          record = (
            (await client.query("records", "record", { id: recordId })) as { record: RecordPointerJson }
          ).record;
          records.set(recordId, record);
        }
        let key = nodeKeys.get(slot.node!);
        if (!key) {
          key = (await getComputeNode(client, slot.node!)).encryption_key;
          nodeKeys.set(slot.node!, key);
        }
        messages.push(grantInput(task, slot.shard, slot.replica, record, opts.grant.keys, key));
      }
      const result = await opts.grant.submit(messages);
      for (const slot of toGrant) {
        granted.add(`${slotKey(slot)}@${slot.node}`);
        yield {
          stage: "input_granted",
          task,
          shard: slot.shard,
          replica: slot.replica,
          node: slot.node!,
          tx: result.hash,
        };
      }
    }
    for (let shard = 0; shard < task.inputs.length; shard++) {
      if (settledShards.has(shard)) continue;
      const slots = task.slots.filter((s) => s.shard === shard);
      if (task.results[shard]) {
        settledShards.add(shard);
        const paid = slots.reduce((sum, s) => sum + BigInt(s.paid), 0n).toString();
        yield { stage: "verified", task, shard, resultSha256: task.results[shard]!, paid };
      } else if (task.state !== "open" || slots.every((s) => s.state === "failed" || s.state === "wrong")) {
        settledShards.add(shard);
        yield { stage: "failed", task, shard };
      }
    }
    if (task.state !== "open") {
      yield { stage: "finished", task, state: task.state };
      return;
    }
    if (deadline !== undefined && Date.now() >= deadline) {
      throw new TimeoutError(`task ${id} did not settle within ${opts.timeoutMs} ms`);
    }
    await sleep(pollMs, opts.signal);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** True when `err` is the API's NOT_FOUND (a node, task or benchmark that does not exist). */
export const isNotFound = (err: unknown): boolean => err instanceof BttApiError && err.status === 404;
