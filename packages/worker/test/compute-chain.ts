// A real node (LMDB in a temp dir, solo driver at a fixed block interval) with its API, set up for
// the compute network: an identity authority, a requester (patient) with records, an auditor,
// three licensed operators with their workers' accounts, and the reference caries model published.
// Shared by the end-to-end test and `npm run bench:compute`.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type RunningApi, startApi } from "@btt/api";
import { type Msg, type Signer, sha256, toHex } from "@btt/core";
import { aiMsg, computeMsg, DEFAULT_COMPUTE_PARAMS, type Hardware } from "@btt/modules";
import { Application, BttNode, SoloDriver, validateGenesis } from "@btt/node";
import {
  BttClient,
  encryptionKeyFromSeed,
  getComputeNode,
  grantInput,
  identity,
  listComputeTasks,
  type RecordPointerJson,
  records,
  sealRecord,
} from "@btt/sdk";
import WebSocket from "ws";
import { testChain } from "../../node/test/helpers.ts";

const SUITE = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../models/caries/benchmark.json", import.meta.url)), "utf8"),
);
const CARD = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../models/caries/card.json", import.meta.url)), "utf8"),
);
export const MODEL_ID: string = CARD.id;
export const MODEL_VERSION: string = CARD.version;
const YEAR_MS = 365 * 86_400_000;
const WORKER_PROCESS = fileURLToPath(new URL("./fixtures/run-worker.ts", import.meta.url));

/** A CPU-only node, as `btt worker` declares one. */
export const CPU: Hardware = {
  accelerator: "cpu",
  gpuCount: 0,
  memoryGb: 0,
  tflopsMilli: 100n,
  powerW: 65,
  cpuCores: 2,
};

export interface ComputeChain {
  url: string;
  node: BttNode;
  client: BttClient;
  authority: Signer;
  requester: Signer;
  auditor: Signer;
  operators: Signer[];
  workers: Signer[];
  /** Signs and waits for the block; a refused tx throws. */
  send(signer: Signer, messages: Msg[]): Promise<{ height?: string; events?: unknown[] }>;
  query<T = Record<string, unknown>>(name: string, params?: Record<string, string>): Promise<T>;
  /** Waits until `check` returns a value (checked once a block), at most `blocks` blocks. */
  waitFor<T>(what: string, check: () => Promise<T | undefined | false>, blocks?: number): Promise<T>;
  /** Encrypts `bytes` for the requester, uploads the blob, registers record `id` (imaging, CN); its content key. */
  addRecord(id: string, bytes: Uint8Array): Promise<Uint8Array>;
  /**
   * The requester's side: a GrantInput (the record's content key wrapped for the node) for every
   * slot of its open tasks (among its first 1,000) that is assigned and has no input key yet.
   */
  pendingGrants(): Promise<Msg[]>;
  close(): Promise<void>;
}

export async function startComputeChain(opts: {
  blockIntervalMs: number;
  /** Compute params over the defaults. */
  params?: Record<string, unknown>;
  benchmarkItems?: number;
}): Promise<ComputeChain> {
  const dir = mkdtempSync(join(tmpdir(), "btt-worker-e2e-"));
  const chain = testChain(11);
  const [authority, requester, auditor, op1, op2, op3, w1, w2, w3, gateway] = chain.accounts as Signer[];
  chain.genesis.app_state.identity = {
    params: {
      authorities: { patient: [authority!.address], node_operator: [authority!.address] },
      max_delegation_depth: 2,
      max_credentials_per_type: 4,
    },
  };
  chain.genesis.app_state.compute = {
    params: {
      ...DEFAULT_COMPUTE_PARAMS,
      min_bond: "100000",
      min_availability_ppm: 0,
      heartbeat_interval_blocks: "4",
      heartbeat_timeout_blocks: "1000",
      epoch_blocks: "100000",
      auditors: [auditor!.address],
      benchmark: {
        model_id: SUITE.model_id,
        model_version: SUITE.model_version,
        mgflop_per_item: SUITE.mgflop_per_item,
        target_ms: "600000",
        min_items: 2,
        items: SUITE.items.slice(0, opts.benchmarkItems ?? 3),
      },
      ...opts.params,
    },
  };
  const node = new BttNode({
    dataDir: join(dir, "node"),
    genesis: validateGenesis(chain.genesis, (id) => new Application(id)),
    keepRecent: 1000,
    mempool: { maxTxs: 10_000, maxBytes: 1 << 26, maxTxBytes: 1 << 20 },
    verifyThreads: 0,
  });
  const driver = new SoloDriver(node, {
    blockIntervalMs: opts.blockIntervalMs,
    limits: { maxTxs: 10_000, maxBytes: 1 << 24 },
    proposer: chain.validator.address,
  });
  driver.produce();
  driver.start();
  const api: RunningApi = await startApi(node, {
    port: 0,
    logger: false,
    rateLimit: { max: 0, windowMs: 1000 },
    blobs: { gatewayKey: gateway! },
  });
  const client = new BttClient({ url: api.url, WebSocket: WebSocket as never });
  const send = (signer: Signer, messages: Msg[]) =>
    client.signAndSubmit(signer, messages, { wait: true }) as Promise<{
      height?: string;
      events?: unknown[];
    }>;
  const query = async <T>(name: string, params: Record<string, string> = {}) =>
    (await client.query("compute", name, params)) as T;
  const waitFor = async <T>(what: string, check: () => Promise<T | undefined | false>, blocks = 200) => {
    const until = BigInt(node.height) + BigInt(blocks);
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
      if (BigInt(node.height) > until) throw new Error(`waited ${blocks} blocks for ${what}`);
      await new Promise((r) => setTimeout(r, opts.blockIntervalMs));
    }
  };

  const requesterKeys = encryptionKeyFromSeed(requester!.seed);
  const expires = BigInt(Date.now() + YEAR_MS);
  const credential = (subject: Signer, type: string) =>
    identity.issueCredential({ subject: subject.address, type, jurisdiction: "CN", expiresAtMs: expires });
  await send(authority!, [
    credential(requester!, "patient"),
    credential(op1!, "node_operator"),
    credential(op2!, "node_operator"),
    credential(op3!, "node_operator"),
  ]);
  await send(requester!, [
    records.setEncryptionKey(requesterKeys.publicKey),
    aiMsg.registerModel({ modelId: MODEL_ID, task: "caries-detection", modalities: ["IO", "DX", "OT"] }),
    aiMsg.publishVersion({
      modelId: MODEL_ID,
      version: MODEL_VERSION,
      sha256: CARD.sha256,
      cardSha256: toHex(
        sha256(readFileSync(fileURLToPath(new URL("../../../models/caries/card.json", import.meta.url)))),
      ),
      sizeBytes: BigInt(CARD.sizeBytes),
    }),
  ]);

  const recordsById = new Map<string, RecordPointerJson>();
  const nodeKeys = new Map<string, string>();
  async function pendingGrants(): Promise<Msg[]> {
    const grants: Msg[] = [];
    for (const task of await listComputeTasks(client, { requester: requester!.address, limit: 1000 })) {
      if (task.state !== "open") continue;
      for (const slot of task.slots) {
        if (slot.state !== "assigned" || slot.input_key || !slot.node) continue;
        const recordId = task.inputs[slot.shard]!;
        let record = recordsById.get(recordId);
        if (!record) {
          record = (
            (await client.query("records", "record", { id: recordId })) as { record: RecordPointerJson }
          ).record;
          recordsById.set(recordId, record);
        }
        let nodeKey = nodeKeys.get(slot.node);
        if (!nodeKey) {
          nodeKey = (await getComputeNode(client, slot.node)).encryption_key;
          nodeKeys.set(slot.node, nodeKey);
        }
        grants.push(grantInput(task, slot.shard, slot.replica, record, requesterKeys, nodeKey));
      }
    }
    return grants;
  }

  return {
    url: api.url,
    node,
    client,
    authority: authority!,
    requester: requester!,
    auditor: auditor!,
    operators: [op1!, op2!, op3!],
    workers: [w1!, w2!, w3!],
    send,
    query,
    waitFor,
    async addRecord(id, bytes) {
      const sealed = sealRecord(bytes, [{ address: requester!.address, publicKey: requesterKeys.publicKey }]);
      const put = await fetch(`${api.url}/v1/blobs/${sealed.sha256}`, {
        method: "PUT",
        headers: { "content-type": "application/octet-stream" },
        body: sealed.blob,
      });
      if (!put.ok) throw new Error(`upload: HTTP ${put.status}`);
      await send(requester!, [
        records.register({
          id,
          blobSha256: sealed.sha256,
          dataClass: "imaging",
          jurisdiction: "CN",
          wrappedKeys: sealed.wrappedKeys,
        }),
      ]);
      return sealed.contentKey;
    },
    pendingGrants,
    async close() {
      driver.stop();
      await api.close();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The node registration an operator sends for a CPU worker. */
export function registerCpuNode(worker: Signer, capacity = 2): Msg {
  return computeMsg.registerNode({
    worker: worker.address,
    encryptionKey: encryptionKeyFromSeed(worker.seed).publicKey,
    hardware: CPU,
    jurisdiction: "CN",
    region: "east",
    bond: 1_000_000n,
    price: 1_000n,
    capacity,
  });
}

export type WorkerMode = "honest" | "wrong" | "offline";

/**
 * A real worker process (test/fixtures/run-worker.ts, capacity 2) for `worker`'s account against
 * the API at `apiUrl`; its JSON log lines go to `onOutput`.
 */
export function spawnWorkerProcess(opts: {
  apiUrl: string;
  worker: Signer;
  stateDir: string;
  mode?: WorkerMode;
  onOutput?: (text: string) => void;
}): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", WORKER_PROCESS], {
    env: {
      ...process.env,
      BTT_API: opts.apiUrl,
      WORKER_SEED_BYTE: String(opts.worker.seed[0]),
      STATE_DIR: opts.stateDir,
      MODE: opts.mode ?? "honest",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => opts.onOutput?.(String(d)));
  child.stderr!.on("data", (d) => opts.onOutput?.(String(d)));
  return child;
}
