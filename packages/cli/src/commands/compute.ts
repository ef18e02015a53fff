// The compute network: `btt tx compute …` (an operator's node, a requester's task, an auditor's
// opening) and `btt compute …` (submit a radiograph and follow it to its verified findings; read
// nodes, tasks and the pool). Messages are the SDK's, checked before the passphrase is asked.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { BttError, decodeAddress, fromHex, type Msg, type Signer, sha256, toHex } from "@btt/core";
import { BTT_DENOM } from "@btt/modules";
import {
  BttApiError,
  type BttClient,
  type ComputeNodeJson,
  type ComputeTaskJson,
  compute,
  encryptionKeyFromSeed,
  followTask,
  getComputeNode,
  getComputePool,
  getComputeTask,
  grantInput,
  listComputeNodes,
  listComputeTasks,
  NODE_ACTIONS,
  type NodeAction,
  type NodeStatus,
  records,
  signedRequestHeaders,
  submitTask,
  type TaskProgress,
  taskIdOf,
  type Urgency,
} from "@btt/sdk";
import { parseUserAmount } from "../amounts.ts";
import { withNode } from "../client.ts";
import { emit, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import type { Command, OptionSpec, ParsedValues } from "../router.ts";
import { DEV_JURISDICTION } from "./dev-network.ts";
import { send } from "./privacy.ts";
import {
  fetchOrUnreachable,
  gatewayError,
  publishedKey,
  recordOf,
  storeRecord,
  unlockKey,
} from "./records.ts";

/** The reference models a dev chain registers (models/caries/card.json, models/perio/card.json). */
export const CARIES_MODEL_ID = "btt.dental.caries.bitewing";
export const PERIO_MODEL_ID = "btt.dental.periodontal.bone-loss";

const WAIT: Record<string, OptionSpec> = {
  "no-wait": {
    type: "boolean",
    description: "return once the node accepts the tx, without waiting for its block",
  },
};

// ---- parsing, offline: a bad command line fails before any passphrase or request ----

function amountOf(text: string | undefined, what: string, required = true): bigint | undefined {
  if (text === undefined) {
    if (required) throw new BttError("INVALID_PARAMS", `${what} is required (e.g. 1btt or 1000000ubtt)`);
    return undefined;
  }
  // The bond denomination is BTT's base unit: "1.5btt" or "1500000ubtt".
  const { denom, amount } = parseUserAmount(text, [BTT_DENOM], what);
  if (denom !== BTT_DENOM.denom) throw new BttError("INVALID_AMOUNT", `${what} is paid in BTT, not ${denom}`);
  return amount;
}

function intOf(text: string | undefined, what: string, min: number, max: number, fallback?: number): number {
  if (text === undefined) {
    if (fallback === undefined) throw new BttError("INVALID_PARAMS", `${what} is required`);
    return fallback;
  }
  const n = Number(text);
  if (!/^[0-9]{1,10}$/.test(text) || n < min || n > max) {
    throw new BttError("INVALID_PARAMS", `${what} "${text}" must be a whole number from ${min} to ${max}`);
  }
  return n;
}

function taskIdArg(text: string): string {
  if (!/^[0-9]{1,19}$/.test(text)) throw new BttError("INVALID_PARAMS", `task id "${text}" is not a number`);
  return text;
}

function hexList(text: string | undefined, what: string): Uint8Array[] {
  if (!text) throw new BttError("INVALID_PARAMS", `${what} is required`);
  return text.split(",").map((h, i) => {
    if (!/^[0-9a-fA-F]{64}$/.test(h.trim()))
      throw new BttError("INVALID_PARAMS", `${what}[${i}] is not 64 hex digits`);
    return fromHex(h.trim().toLowerCase());
  });
}

const URGENCIES = ["stat", "urgent", "routine"];
function urgencyOf(values: ParsedValues): Urgency {
  const u = (values.urgency as string | undefined) ?? "routine";
  if (!URGENCIES.includes(u))
    throw new BttError("INVALID_PARAMS", `--urgency "${u}" is not stat, urgent or routine`);
  return u as Urgency;
}

// ---- btt tx compute … ----

const HARDWARE_OPTIONS: Record<string, OptionSpec> = {
  accelerator: {
    type: "string",
    value: "<name>",
    description: 'accelerator model, e.g. "NVIDIA RTX 4090" (default: cpu)',
  },
  gpus: { type: "string", value: "<n>", description: "number of accelerators (default 0)" },
  "memory-gb": { type: "string", value: "<gb>", description: "accelerator memory, all together (default 0)" },
  tflops: {
    type: "string",
    value: "<milli>",
    description: "declared peak milli-TFLOPS, 1000 = 1 TFLOPS (required)",
  },
  "power-w": { type: "string", value: "<watts>", description: "power draw at load (required)" },
  "cpu-cores": { type: "string", value: "<n>", description: "CPU cores (default 1)" },
};

function hardwareOf(values: ParsedValues) {
  return {
    accelerator: (values.accelerator as string | undefined) ?? "cpu",
    gpuCount: intOf(values.gpus as string | undefined, "--gpus", 0, 64, 0),
    memoryGb: intOf(values["memory-gb"] as string | undefined, "--memory-gb", 0, 1_000_000, 0),
    tflopsMilli: intOf(values.tflops as string | undefined, "--tflops", 1, 2 ** 31),
    powerW: intOf(values["power-w"] as string | undefined, "--power-w", 1, 1_000_000),
    cpuCores: intOf(values["cpu-cores"] as string | undefined, "--cpu-cores", 1, 4096, 1),
  };
}

const registerNodeCommand: Command = {
  name: "register-node",
  summary: "register a worker with a bond (the key needs a node_operator credential in --jurisdiction)",
  details:
    "The worker signs heartbeats, commits and reveals with its own account; inputs are wrapped for\n" +
    "its X25519 key (--encryption-key, 64 hex digits). The bond (at least the chain's min_bond) and\n" +
    "the price per slot are BTT amounts: 1btt or 1000000ubtt.",
  args: [
    { name: "from-key", description: "the operator's key in the keyring" },
    { name: "worker", description: "the worker's btt1… address" },
  ],
  options: {
    "encryption-key": {
      type: "string",
      value: "<hex>",
      description: "the worker's X25519 public key (required)",
    },
    jurisdiction: { type: "string", value: "<CC>", description: "where the node computes (required)" },
    region: {
      type: "string",
      value: "<region>",
      description: "region within the jurisdiction, e.g. eu-central",
    },
    bond: { type: "string", value: "<amount>", description: "bond, e.g. 1btt (required)" },
    price: { type: "string", value: "<amount>", description: "price per slot, e.g. 100ubtt (required)" },
    capacity: { type: "string", value: "<n>", description: "most slots at once, 1 to 1024 (default 1)" },
    ...HARDWARE_OPTIONS,
    ...WAIT,
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, worker] = args as [string, string];
    checkKeyName(from);
    decodeAddress(worker, "worker");
    const key = values["encryption-key"] as string | undefined;
    if (!key || !/^[0-9a-fA-F]{64}$/.test(key)) {
      throw new BttError(
        "INVALID_PARAMS",
        "--encryption-key must be the worker's X25519 public key, 64 hex digits",
      );
    }
    const jurisdiction = values.jurisdiction as string | undefined;
    if (!jurisdiction) throw new BttError("INVALID_PARAMS", "register-node needs --jurisdiction <CC>");
    const message = compute.registerNode({
      worker,
      encryptionKey: key.toLowerCase(),
      hardware: hardwareOf(values),
      jurisdiction,
      ...(values.region ? { region: values.region as string } : {}),
      bond: amountOf(values.bond as string | undefined, "--bond")!,
      price: amountOf(values.price as string | undefined, "--price")!,
      capacity: intOf(values.capacity as string | undefined, "--capacity", 1, 1024, 1),
    });
    await send(values, from, [message], `Registered node ${worker}`);
  },
};

const updateNodeCommand: Command = {
  name: "update-node",
  summary: "change a node's price or capacity, or add to its bond (its operator)",
  args: [
    { name: "from-key", description: "the operator's key in the keyring" },
    { name: "worker", description: "the worker's btt1… address" },
  ],
  options: {
    price: { type: "string", value: "<amount>", description: "new price per slot" },
    capacity: { type: "string", value: "<n>", description: "new capacity" },
    "add-bond": { type: "string", value: "<amount>", description: "add to the bond" },
    ...WAIT,
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, worker] = args as [string, string];
    checkKeyName(from);
    const price = amountOf(values.price as string | undefined, "--price", false);
    const addBond = amountOf(values["add-bond"] as string | undefined, "--add-bond", false);
    const capacity =
      values.capacity === undefined ? undefined : intOf(values.capacity as string, "--capacity", 1, 1024);
    if (price === undefined && addBond === undefined && capacity === undefined) {
      throw new BttError("INVALID_PARAMS", "update-node needs --price, --capacity or --add-bond");
    }
    const message = compute.updateNode({
      worker,
      ...(price !== undefined ? { price } : {}),
      ...(addBond !== undefined ? { addBond } : {}),
      ...(capacity !== undefined ? { capacity } : {}),
    });
    await send(values, from, [message], `Updated node ${worker}`);
  },
};

const ACTION_SUMMARIES: Record<NodeAction, string> = {
  pause: "stop taking new work (its operator)",
  resume: "take work again after a pause (its operator)",
  unbond: "leave the network: no new work; the bond is withdrawable after the unbonding period",
  withdraw: "take back the bond of an unbonded node",
  unjail: "return a jailed node once its jail time is over",
};

const nodeActionCommands: Command[] = NODE_ACTIONS.map((action) => ({
  name: action,
  summary: ACTION_SUMMARIES[action],
  args: [
    { name: "from-key", description: "the operator's key in the keyring" },
    { name: "worker", description: "the worker's btt1… address" },
  ],
  options: { ...WAIT, ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [from, worker] = args as [string, string];
    checkKeyName(from);
    await send(values, from, [compute.nodeAction(action, worker)], `${action} node ${worker}`);
  },
}));

const TASK_OPTIONS: Record<string, OptionSpec> = {
  model: {
    type: "string",
    value: "<id>",
    description: `model id (default: ${CARIES_MODEL_ID}; ${PERIO_MODEL_ID} for bone loss)`,
  },
  "model-version": {
    type: "string",
    value: "<version>",
    description: "model version (default: the latest active)",
  },
  urgency: { type: "string", value: "<u>", description: "stat, urgent or routine (default routine)" },
  replication: {
    type: "string",
    value: "<k>",
    description: "replicas per input, majority-verified (default 1)",
  },
  "max-fee": {
    type: "string",
    value: "<amount>",
    description: "most paid per slot, escrowed (default 0.01btt)",
  },
  deadline: {
    type: "string",
    value: "<blocks>",
    description: "blocks a node has from assignment to reveal (default 100)",
  },
};

function taskRequest(values: ParsedValues, inputRecordIds: string[]) {
  return submitTask({
    modelId: (values.model as string | undefined) ?? CARIES_MODEL_ID,
    ...(values["model-version"] ? { modelVersion: values["model-version"] as string } : {}),
    inputRecordIds,
    urgency: urgencyOf(values),
    replication: intOf(values.replication as string | undefined, "--replication", 1, 15, 1),
    maxFee: amountOf((values["max-fee"] as string | undefined) ?? "0.01btt", "--max-fee")!,
    deadlineBlocks: intOf(values.deadline as string | undefined, "--deadline", 1, 1_000_000, 100),
  });
}

const submitTaskCommand: Command = {
  name: "submit-task",
  summary: "submit a task on records you own or may use for treatment; escrows max-fee × replicas × inputs",
  args: [
    { name: "from-key", description: "the requester's key in the keyring" },
    { name: "record-ids", description: "input records, comma-separated (one shard each)" },
  ],
  options: { ...TASK_OPTIONS, ...WAIT, ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [from, ids] = args as [string, string];
    checkKeyName(from);
    const message = taskRequest(
      values,
      ids.split(",").map((s) => s.trim()),
    );
    await send(values, from, [message], "Submitted task");
  },
};

const grantInputCommand: Command = {
  name: "grant-input",
  summary: "hand the node assigned a slot the input's content key (the task's requester)",
  details:
    "The record's key is unwrapped with the requester key's X25519 secret (from its seed) and\n" +
    "wrapped again for the assigned node's encryption key; only that node can open it.",
  args: [
    { name: "from-key", description: "the requester's key in the keyring" },
    { name: "task-id", description: "the task" },
    { name: "shard", description: "the input's index" },
    { name: "replica", description: "the replica" },
  ],
  options: { ...WAIT, ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [from, id, shardText, replicaText] = args as [string, string, string, string];
    checkKeyName(from);
    taskIdArg(id);
    const shard = intOf(shardText, "shard", 0, 1024);
    const replica = intOf(replicaText, "replica", 0, 15);
    const url = nodeUrlOf(values);
    const message = await withNode(url, async (client) => {
      const task = await getComputeTask(client, id);
      const slot = task.slots.find((s) => s.shard === shard && s.replica === replica);
      if (!slot?.node)
        throw new BttError("CONFLICT", `task ${id} shard ${shard} replica ${replica} is not assigned`);
      const record = await recordOf(client, task.inputs[shard]!);
      const node = await getComputeNode(client, slot.node);
      const { seed } = await unlockKey(values, from);
      return grantInput(task, shard, replica, record, encryptionKeyFromSeed(seed), node.encryption_key);
    });
    await send(values, from, [message], `Granted task ${id} shard ${shard} replica ${replica}'s input`);
  },
};

const openAuditCommand: Command = {
  name: "open-audit",
  summary: "open a canary task's seal: the expected result hashes and the salt (an auditor)",
  args: [
    { name: "from-key", description: "the auditor's key in the keyring" },
    { name: "task-id", description: "the settled canary task" },
  ],
  options: {
    expected: {
      type: "string",
      value: "<hex,…>",
      description: "expected result SHA-256 per shard (required)",
    },
    salt: { type: "string", value: "<hex>", description: "the seal's salt, 16 to 64 bytes (required)" },
    ...WAIT,
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, id] = args as [string, string];
    checkKeyName(from);
    const salt = values.salt as string | undefined;
    if (!salt || !/^([0-9a-fA-F]{2}){16,64}$/.test(salt)) {
      throw new BttError("INVALID_PARAMS", "--salt must be 16 to 64 bytes of hex");
    }
    const message = compute.openAudit({
      taskId: taskIdArg(id),
      expectedSha256: hexList(values.expected as string | undefined, "--expected"),
      salt: fromHex(salt.toLowerCase()),
    });
    await send(values, from, [message], `Opened the audit of task ${id}`);
  },
};

export const computeTxCommand: Command = {
  name: "compute",
  summary: "compute network transactions: nodes, tasks, audits",
  subcommands: [
    registerNodeCommand,
    updateNodeCommand,
    ...nodeActionCommands,
    submitTaskCommand,
    grantInputCommand,
    openAuditCommand,
  ],
};

// ---- btt compute … ----

const tokens = (ubtt: string) => `${ubtt}ubtt`;

function nodeLines(n: ComputeNodeJson): string[] {
  const r = n.record;
  return [
    `node ${n.id}  ${n.status}  ${n.jurisdiction}${n.region ? `/${n.region}` : ""}  tier ${n.tier} (declared ${n.declared_tier})`,
    `  operator     ${n.operator}`,
    `  hardware     ${n.hardware.accelerator} ×${n.hardware.gpu_count}, ${n.hardware.tflops_milli} mTFLOPS declared, ${n.measured_tflops_milli} measured, ${n.hardware.power_w} W`,
    `  bond ${tokens(n.bond)}  price ${tokens(n.price)}/slot  load ${n.load}/${n.capacity}`,
    `  record       ${r.successful} verified, ${r.wrong} wrong, ${r.missed} missed of ${r.assigned}; earned ${tokens(r.earned)}, rewarded ${tokens(r.rewarded)}, slashed ${tokens(r.slashed)}`,
    `  availability ${ppm(n.availability_ppm)}  E_node ${ppm(n.efficiency_ppm)}`,
  ];
}

const ppm = (v: string) => `${(Number(v) / 10_000).toFixed(2)}%`;

function taskLines(t: ComputeTaskJson): string[] {
  return [
    `task ${t.id}  ${t.state}  ${t.model_id} ${t.model_version}  ${t.urgency}  ${t.inputs.length} input(s) × ${t.replication}`,
    `  requester  ${t.requester}`,
    `  escrow     ${tokens(t.escrow)} (max ${tokens(t.max_fee)}/slot), submitted at block ${t.submitted_height}`,
    ...t.slots.map(
      (s) =>
        `  shard ${s.shard} replica ${s.replica}  ${s.state}${s.node ? `  ${s.node}` : ""}` +
        `${s.result_sha256 ? `  result ${s.result_sha256.slice(0, 16)}…` : ""}${s.paid !== "0" ? `  paid ${tokens(s.paid)}` : ""}`,
    ),
    ...t.results.map((r, i) => `  result ${i}  ${r || "(none)"}`),
  ];
}

const taskCommand: Command = {
  name: "task",
  summary: "one task: its slots, their nodes and states, and the verified results",
  args: [{ name: "id", description: "the task id" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const id = taskIdArg(args[0]!);
    const task = await withNode(nodeUrlOf(values), (c) => getComputeTask(c, id));
    emit(values, task, taskLines(task));
  },
};

const tasksCommand: Command = {
  name: "tasks",
  summary: "tasks in id order, or one requester's",
  options: {
    requester: { type: "string", value: "<address>", description: "only this requester's tasks" },
    after: { type: "string", value: "<id>", description: "tasks after this id" },
    limit: { type: "string", value: "<n>", description: "at most this many (default 100)" },
    ...NODE_OPTION,
  },
  run: async ({ values }) => {
    const requester = values.requester as string | undefined;
    if (requester) decodeAddress(requester, "--requester");
    const after = values.after === undefined ? undefined : taskIdArg(values.after as string);
    const limit = intOf(values.limit as string | undefined, "--limit", 1, 1000, 100);
    const tasks = await withNode(nodeUrlOf(values), (c) =>
      listComputeTasks(c, { ...(requester ? { requester } : {}), ...(after ? { after } : {}), limit }),
    );
    emit(
      values,
      { tasks },
      tasks.length === 0
        ? ["no tasks"]
        : tasks.map(
            (t) =>
              `task ${t.id}  ${t.state.padEnd(6)} ${t.model_id} ${t.model_version}  ${t.inputs.length}×${t.replication}  ${t.requester}`,
          ),
    );
  },
};

const STATUSES = ["benchmarking", "active", "paused", "jailed", "unbonding"];

const nodesCommand: Command = {
  name: "nodes",
  summary: "the network's nodes: status, tier, load, record",
  options: {
    operator: { type: "string", value: "<address>", description: "only this operator's nodes" },
    status: { type: "string", value: "<status>", description: STATUSES.join(", ") },
    jurisdiction: { type: "string", value: "<CC>", description: "only nodes computing there" },
    limit: { type: "string", value: "<n>", description: "at most this many (default 100)" },
    ...NODE_OPTION,
  },
  run: async ({ values }) => {
    const operator = values.operator as string | undefined;
    if (operator) decodeAddress(operator, "--operator");
    const status = values.status as string | undefined;
    if (status && !STATUSES.includes(status)) {
      throw new BttError("INVALID_PARAMS", `--status "${status}" is not one of ${STATUSES.join(", ")}`);
    }
    const limit = intOf(values.limit as string | undefined, "--limit", 1, 1000, 100);
    const nodes = await withNode(nodeUrlOf(values), (c) =>
      listComputeNodes(c, {
        ...(operator ? { operator } : {}),
        ...(status ? { status: status as NodeStatus } : {}),
        ...(values.jurisdiction ? { jurisdiction: values.jurisdiction as string } : {}),
        limit,
      }),
    );
    emit(
      values,
      { nodes },
      nodes.length === 0
        ? ["no nodes"]
        : nodes.map(
            (n) =>
              `${n.id}  ${n.status.padEnd(12)} ${n.jurisdiction}  tier ${n.tier}  load ${n.load}/${n.capacity}  ` +
              `${n.record.successful} verified  price ${tokens(n.price)}`,
          ),
    );
  },
};

const nodeCommand: Command = {
  name: "node",
  summary: "one node: hardware, bond, price, record, availability and E_node",
  args: [{ name: "worker", description: "the worker's btt1… address" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [worker] = args as [string];
    decodeAddress(worker, "worker");
    const node = await withNode(nodeUrlOf(values), (c) => getComputeNode(c, worker));
    emit(values, node, nodeLines(node));
  },
};

const poolCommand: Command = {
  name: "pool",
  summary: "what the compute module holds: bonds and escrow, and the reward pool",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    const pool = await withNode(nodeUrlOf(values), (c) => getComputePool(c));
    emit(values, pool, [
      `escrow       ${pool.escrow_balance}${pool.denom}  (${pool.escrow_account})`,
      `reward pool  ${pool.reward_pool_balance}${pool.denom}  (${pool.reward_pool})`,
    ]);
  },
};

// ---- btt compute submit ----

/** A worker's canonical result (packages/ai/src/canonical.ts): caries findings or periodontal teeth. */
interface CanonicalResult {
  format: string;
  width: number;
  height: number;
  side: string;
  findings?: Array<{ tooth: number; box: number[]; severity: string; score_pm: number }>;
  teeth?: Array<{ tooth: number; bone_loss_pm: number; stage: string }>;
}

/** The findings of one result, by its format tag; a format this CLI does not know is shown raw. */
async function resultLines(result: CanonicalResult, label: string): Promise<string[]> {
  const { CANONICAL_CARIES_VERSION, CANONICAL_PERIO_VERSION } = await import("@btt/ai");
  const image = `${result.width}×${result.height}, side ${result.side}`;
  if (result.format === CANONICAL_PERIO_VERSION) {
    const teeth = result.teeth ?? [];
    return [
      `${label}bone loss per tooth (${image}):${teeth.length === 0 ? " none" : ""}`,
      ...teeth.map(
        (t) => `  tooth ${t.tooth}  bone loss ${(t.bone_loss_pm / 10).toFixed(1)}%  stage ${t.stage}`,
      ),
    ];
  }
  if (result.format === CANONICAL_CARIES_VERSION) {
    const findings = result.findings ?? [];
    return [
      `${label}findings (${image}):${findings.length === 0 ? " none" : ""}`,
      ...findings.map(
        (f, i) =>
          `  ${i + 1}. tooth ${f.tooth} ${f.severity} caries, box [${f.box.join(", ")}], score ${(f.score_pm / 1000).toFixed(3)}`,
      ),
    ];
  }
  return [`${label}result in format ${result.format}: ${JSON.stringify(result)}`];
}

/** A task's verified result for shard 0: fetched (signed), opened with the requester's key, checked. */
async function fetchResult(
  url: string,
  signer: Signer,
  seed: Uint8Array,
  task: ComputeTaskJson,
  shard: number,
) {
  const expected = task.results[shard];
  const slot = task.slots.find((s) => s.shard === shard && s.state === "verified" && s.result_blob);
  if (!expected || !slot?.result_blob)
    throw new BttError("NOT_FOUND", `task ${task.id} has no verified result blob`);
  const path = `/v1/blobs/${slot.result_blob}?task=${task.id}`;
  const res = await fetchOrUnreachable(`${url}${path}`, {
    headers: signedRequestHeaders(signer, "GET", path),
  });
  if (res.status !== 200) throw await gatewayError(res, `the result of task ${task.id} was refused`);
  // The envelope is the worker's (result-envelope.ts): read with its own code, not a copy.
  const { openResult } = await import("@btt/worker");
  const canonical = openResult(new Uint8Array(await res.arrayBuffer()), encryptionKeyFromSeed(seed));
  if (toHex(sha256(canonical)) !== expected) {
    throw new BttError(
      "COMMITMENT_MISMATCH",
      `task ${task.id}'s result blob does not hash to the verified result ${expected}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(canonical)) as CanonicalResult;
}

function progressLine(p: TaskProgress): string | undefined {
  switch (p.stage) {
    case "submitted":
      return `task ${p.task.id} submitted (${p.task.model_id} ${p.task.model_version}, escrow ${tokens(p.task.escrow)})`;
    case "assigned":
      return `  assigned shard ${p.shard} replica ${p.replica} to ${p.node} (${p.assigned}/${p.slots} slots)`;
    case "input_granted":
      return `  input granted to ${p.node} (tx ${p.tx})`;
    case "committed":
      return `  committed by ${p.node}`;
    case "revealed":
      return `  revealed by ${p.node}: ${p.resultSha256}`;
    case "verified":
      return `  verified shard ${p.shard}: ${p.resultSha256}, paid ${tokens(p.paid)}`;
    case "failed":
      return `  shard ${p.shard} failed`;
    case "finished":
      return `task ${p.task.id} ${p.state}`;
  }
}

const submitCommand: Command = {
  name: "submit",
  summary:
    "encrypt radiographs, register them, run a model (caries by default) on the network, print the findings",
  details:
    "Each file is encrypted here (btt records put) and registered as an imaging record of --from;\n" +
    "one task is submitted on all of them, one shard per file (shards run on different nodes when\n" +
    "the network has them). With --wait (the default on a terminal) it follows the task: each\n" +
    "slot's node is handed the input key as it is assigned; then the commits, reveals and the\n" +
    "verified results; finally it fetches each shard's result blob, opens it and prints the findings\n" +
    `(caries lesions, or with --model ${PERIO_MODEL_ID} bone loss and stage per tooth).`,
  args: [{ name: "file", description: "radiographs (DICOM, PNG or JPEG), one shard each", variadic: true }],
  options: {
    from: {
      type: "string",
      value: "<key>",
      description: "the requester's key in the keyring (default alice)",
    },
    jurisdiction: {
      type: "string",
      value: "<CC>",
      description: `where the record is stored (default ${DEV_JURISDICTION})`,
    },
    ...TASK_OPTIONS,
    wait: { type: "boolean", description: "follow the task to its result (default on a terminal)" },
    "no-wait": { type: "boolean", description: "return once the task is submitted" },
    timeout: {
      type: "string",
      value: "<s>",
      description: "give up following after this many seconds (default 600)",
    },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const files = args;
    const from = (values.from as string | undefined) ?? "alice";
    checkKeyName(from);
    for (const file of files) {
      if (!existsSync(file) || !statSync(file).isFile())
        throw new BttError("NOT_FOUND", `no file ${file}`, { file });
    }
    const recordIds = files.map(() => `rec-${randomBytes(8).toString("hex")}`);
    const message = taskRequest(values, recordIds);
    const wait = values["no-wait"] ? false : values.wait ? true : process.stdout.isTTY === true;
    const timeoutMs = intOf(values.timeout as string | undefined, "--timeout", 1, 86_400, 600) * 1000;
    const jurisdiction = (values.jurisdiction as string | undefined) ?? DEV_JURISDICTION;
    const url = nodeUrlOf(values);
    const say = (line: string) => {
      if (!values.json) console.log(line);
    };
    await withNode(url, async (client) => {
      const { signer, seed } = await unlockKey(values, from);
      await ensureEncryptionKey(client, signer, seed);
      for (const [i, file] of files.entries()) {
        const stored = await storeRecord(client, url, signer, seed, readFileSync(file), {
          id: recordIds[i]!,
          dataClass: "imaging",
          jurisdiction,
        });
        say(
          `record ${recordIds[i]} stored encrypted (${file}; blob ${stored.sealed.sha256}, block ${stored.result.height})`,
        );
      }
      const submitted = await client.signAndSubmit(signer, [message], { wait: true });
      const taskId = taskIdOf(submitted);
      if (!wait) {
        emit(
          values,
          { record_ids: recordIds, task_id: taskId, hash: submitted.hash, height: submitted.height },
          [
            `task ${taskId} submitted in block ${submitted.height}; follow it with btt compute task ${taskId}`,
          ],
        );
        return;
      }
      const stages: Array<Record<string, unknown>> = [];
      let final: ComputeTaskJson | undefined;
      for await (const p of followTask(client, taskId, {
        timeoutMs,
        grant: { keys: encryptionKeyFromSeed(seed), submit: (m: Msg[]) => client.signAndSubmit(signer, m) },
      })) {
        const { task, ...rest } = p;
        stages.push(rest);
        const line = progressLine(p);
        if (line) say(line);
        if (p.stage === "finished") final = task;
      }
      if (final?.state !== "done") {
        throw new BttError(
          "CONFLICT",
          `task ${taskId} failed: no majority result (see btt compute task ${taskId})`,
        );
      }
      const results = [];
      const lines: string[] = [];
      for (const [shard, file] of files.entries()) {
        const result = await fetchResult(url, signer, seed, final, shard);
        results.push(result);
        lines.push(...(await resultLines(result, files.length > 1 ? `${file}: ` : "")));
      }
      if (values.json) {
        emit(values, { record_ids: recordIds, task_id: taskId, stages, task: final, results }, []);
      } else {
        for (const line of lines) console.log(line);
      }
    });
  },
};

/** The worker seals the result for the requester's published X25519 key: publish it if missing. */
async function ensureEncryptionKey(client: BttClient, signer: Signer, seed: Uint8Array): Promise<void> {
  const mine = encryptionKeyFromSeed(seed).publicKey;
  try {
    if (toHex(await publishedKey(client, signer.address)) === toHex(mine)) return;
  } catch (err) {
    if (!(err instanceof BttError || err instanceof BttApiError) || err.code !== "NOT_FOUND") throw err;
  }
  await client.signAndSubmit(signer, [records.setEncryptionKey(mine)], { wait: true });
}

export const computeCommand: Command = {
  name: "compute",
  summary: "the compute network: submit a radiograph for analysis, read tasks, nodes and the pool",
  subcommands: [submitCommand, taskCommand, tasksCommand, nodesCommand, nodeCommand, poolCommand],
};
