// The compute worker: follows the chain block by block (the API's WebSocket, with a polling
// fallback), answers its capability benchmark, beats its heartbeat, and for each slot assigned
// to it with an input key: fetches and decrypts the input, runs the model, saves (hash, salt) to
// disk, commits, and once the shard's reveals open, reveals. Registration is the operator's act.
import { randomBytes } from "node:crypto";
import { resultSha256 } from "@btt/ai";
import { fromHex, type Signer, toHex } from "@btt/core";
import { computeMsg, resultCommitment } from "@btt/modules";
import {
  type AssignmentJson,
  BttApiError,
  BttClient,
  decryptBlob,
  type EncryptionKeyPair,
  unwrapContentKey,
} from "@btt/sdk";
import WebSocket from "ws";
import { BlobGateway } from "./gateway.ts";
import { ModelRunner } from "./model-runner.ts";
import { type OwedReveal, OwedReveals, slotKey } from "./owed-reveals.ts";
import { sealResult } from "./result-envelope.ts";
import { TxQueue } from "./tx-queue.ts";

export interface WorkerLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

/** Misbehaviour for tests of the network's defences only; never set in a real worker. */
export interface TestOnlyFaults {
  /** Replaces the result hash before it is committed (a worker that answers wrongly). */
  transformResult?: (sha: Uint8Array) => Uint8Array;
  /** Stops the agent right after its first commit (a worker that goes offline mid-task). */
  stopAfterCommit?: boolean;
}

export interface WorkerOptions {
  apiUrl: string;
  /** The worker account's key: it signs heartbeats, benchmarks, commits and reveals. */
  signer: Signer;
  /** The X25519 key pair whose public half the node registered: inputs are wrapped for it. */
  encryptionKey: EncryptionKeyPair;
  /** Where owed reveals are kept across restarts. */
  stateDir: string;
  /** Most slots computed at once (default 1). */
  capacity?: number;
  /** Default: the chain's heartbeat_interval_blocks. */
  heartbeatEveryBlocks?: number;
  /** Polling fallback for when the WebSocket is silent (default 1000 ms). */
  pollMs?: number;
  logger?: WorkerLogger;
  testOnlyFaults?: TestOnlyFaults;
}

const jsonLogger: WorkerLogger = {
  info: (msg, fields) => console.error(JSON.stringify({ level: "info", msg, ...fields })),
  warn: (msg, fields) => console.error(JSON.stringify({ level: "warn", msg, ...fields })),
};

const codeOf = (err: unknown) => (err as { code?: string }).code ?? (err as { code_name?: string }).code_name;

export class WorkerAgent {
  readonly address: string;
  private readonly client: BttClient;
  private readonly txs: TxQueue;
  private readonly gateway: BlobGateway;
  private readonly owed: OwedReveals;
  private readonly log: WorkerLogger;
  private runner: ModelRunner | undefined;
  private owedBySlot = new Map<string, OwedReveal>();
  /** Slots being computed or committed, and slots being revealed. */
  private readonly computing = new Set<string>();
  private readonly revealing = new Set<string>();
  private lastHeight = 0n;
  private lastHeartbeat = -1n;
  private benchmarkedAt: string | undefined;
  private ticking = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private subscription: { close(): void } | undefined;
  private resolveDone!: () => void;
  /** Resolves once the agent has stopped. */
  readonly done = new Promise<void>((r) => {
    this.resolveDone = r;
  });

  constructor(private readonly opts: WorkerOptions) {
    this.address = opts.signer.address;
    this.client = new BttClient({ url: opts.apiUrl, WebSocket: WebSocket as never, timeoutMs: 15_000 });
    this.txs = new TxQueue(this.client, opts.signer);
    this.gateway = new BlobGateway(opts.apiUrl.replace(/\/+$/, ""), opts.signer);
    this.owed = new OwedReveals(opts.stateDir);
    this.log = opts.logger ?? jsonLogger;
  }

  async start(): Promise<void> {
    this.runner = await ModelRunner.open();
    this.owedBySlot = this.owed.load();
    if (this.owedBySlot.size > 0) this.log.info("owed reveals loaded", { count: this.owedBySlot.size });
    this.followBlocks();
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
    await this.poll();
    this.log.info("worker started", {
      worker: this.address,
      capacity: this.capacity,
      models: this.runner.models.map((m) => `${m.id}@${m.version}`),
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.subscription?.close();
    await this.runner?.close();
    this.log.info("worker stopped", { worker: this.address });
    this.resolveDone();
  }

  private get capacity(): number {
    return this.opts.capacity ?? 1;
  }

  /** New blocks over the WebSocket; the timer's poll covers a silent or broken socket. */
  private followBlocks(): void {
    try {
      const sub = this.client.subscribe("blocks");
      this.subscription = sub;
      void (async () => {
        try {
          for await (const ev of sub) await this.onBlock(ev.height);
        } catch (err) {
          if (!this.stopped) this.log.warn("block stream ended; polling", { error: (err as Error).message });
        }
      })();
    } catch (err) {
      this.log.warn("no WebSocket; polling", { error: (err as Error).message });
    }
  }

  private async poll(): Promise<void> {
    try {
      await this.onBlock(BigInt((await this.client.status()).height));
    } catch (err) {
      if (!this.stopped) this.log.warn("poll failed", { error: (err as Error).message });
    }
  }

  /** Everything the worker does, once per new height (never two at once). */
  private async onBlock(height: bigint): Promise<void> {
    if (this.stopped || this.ticking || height <= this.lastHeight) return;
    this.ticking = true;
    this.lastHeight = height;
    try {
      const node = await this.nodeRecord();
      if (!node) return;
      if (node.status === "benchmarking")
        this.answerBenchmark().catch((err) =>
          this.log.warn("benchmark failed", { error: (err as Error).message }),
        );
      await this.maybeHeartbeat(height);
      await this.handleAssignments();
    } catch (err) {
      this.log.warn("block handling failed", { height: String(height), error: (err as Error).message });
    } finally {
      this.ticking = false;
    }
  }

  private async nodeRecord(): Promise<{ status: string } | undefined> {
    try {
      return (await this.client.query("compute", "node", { worker: this.address })) as { status: string };
    } catch (err) {
      if (err instanceof BttApiError && err.status === 404) {
        if (this.lastHeartbeat === -1n) this.log.warn("not a registered node yet", { worker: this.address });
        return undefined;
      }
      throw err;
    }
  }

  private async maybeHeartbeat(height: bigint): Promise<void> {
    let every = this.opts.heartbeatEveryBlocks;
    if (every === undefined) {
      const p = (await this.client.query("compute", "params")) as { heartbeat_interval_blocks: string };
      every = Number(p.heartbeat_interval_blocks);
    }
    if (this.lastHeartbeat >= 0n && height - this.lastHeartbeat < BigInt(every)) return;
    this.lastHeartbeat = height;
    this.txs
      .send([computeMsg.heartbeat()])
      .catch((err) => this.log.warn("heartbeat refused", { error: String(err) }));
  }

  private async answerBenchmark(): Promise<void> {
    const bench = (await this.client
      .query("compute", "benchmark", { worker: this.address })
      .catch(() => undefined)) as
      | { seeds: number[]; model_id: string; model_version: string; issued_height: string }
      | undefined;
    if (!bench || this.benchmarkedAt === bench.issued_height) return;
    this.benchmarkedAt = bench.issued_height;
    const started = Date.now();
    const answers = await this.runner!.benchmark(bench.model_id, bench.model_version, bench.seeds);
    await this.txs.send([computeMsg.submitBenchmark(answers)]);
    this.log.info("benchmark submitted", { seeds: bench.seeds.length, ms: Date.now() - started });
  }

  private async handleAssignments(): Promise<void> {
    const listedAt = Date.now();
    const { assignments } = (await this.client.query("compute", "assignments", { worker: this.address })) as {
      assignments: AssignmentJson[];
    };
    const listed = new Set<string>();
    for (const a of assignments) {
      const key = slotKey({ taskId: a.task_id, shard: a.shard, replica: a.replica });
      listed.add(key);
      const owed = this.owedBySlot.get(key);
      if (a.state === "committed" && a.reveal_open && owed) void this.reveal(key, owed);
      else if (a.state === "assigned" && owed && !this.computing.has(key)) void this.commit(key, owed);
      else if (a.state === "assigned" && a.input_key && !owed) void this.compute(key, a);
    }
    // A slot no longer listed was settled or expired: nothing is owed for it any more.
    for (const [key, entry] of this.owedBySlot) {
      if (
        !listed.has(key) &&
        entry.savedAtMs < listedAt &&
        !this.revealing.has(key) &&
        !this.computing.has(key)
      ) {
        this.forget(key);
      }
    }
  }

  private async compute(key: string, a: AssignmentJson): Promise<void> {
    if (this.computing.has(key) || this.computing.size >= this.capacity) return;
    if (!this.runner!.supports(a.model_id, a.model_version)) {
      this.log.warn("model not supported", { task: a.task_id, model: `${a.model_id}@${a.model_version}` });
      return;
    }
    this.computing.add(key);
    try {
      const started = Date.now();
      const canonical = await this.runner!.run(a.model_id, await this.fetchInput(a));
      let sha = resultSha256(canonical);
      if (this.opts.testOnlyFaults?.transformResult) sha = this.opts.testOnlyFaults.transformResult(sha);
      const resultBlob = await this.uploadResult(canonical, a.requester);
      const entry: OwedReveal = {
        taskId: a.task_id,
        shard: a.shard,
        replica: a.replica,
        resultSha256: toHex(sha),
        salt: toHex(randomBytes(32)),
        resultBlob,
        savedAtMs: Date.now(),
      };
      this.owed.save(entry);
      this.owedBySlot.set(key, entry);
      this.log.info("computed", {
        task: a.task_id,
        shard: a.shard,
        replica: a.replica,
        ms: Date.now() - started,
      });
      await this.sendCommit(key, entry);
    } catch (err) {
      this.log.warn("slot failed", { slot: key, error: (err as Error).message });
    } finally {
      this.computing.delete(key);
    }
  }

  /** A commit owed from before a restart (computed and saved, never committed). */
  private async commit(key: string, entry: OwedReveal): Promise<void> {
    this.computing.add(key);
    try {
      await this.sendCommit(key, entry);
    } catch (err) {
      this.log.warn("commit failed", { slot: key, error: (err as Error).message });
    } finally {
      this.computing.delete(key);
    }
  }

  private async sendCommit(key: string, e: OwedReveal): Promise<void> {
    const commitment = resultCommitment(
      BigInt(e.taskId),
      e.shard,
      e.replica,
      this.address,
      fromHex(e.resultSha256),
      fromHex(e.salt),
    );
    await this.txs.send([
      computeMsg.commitResult({
        taskId: BigInt(e.taskId),
        shard: e.shard,
        replica: e.replica,
        commitment: fromHex(commitment),
      }),
    ]);
    this.log.info("committed", { slot: key });
    if (this.opts.testOnlyFaults?.stopAfterCommit) await this.stop();
  }

  private async reveal(key: string, e: OwedReveal): Promise<void> {
    // The offline fault: it went away after committing, so it never reveals.
    if (this.revealing.has(key) || this.opts.testOnlyFaults?.stopAfterCommit) return;
    this.revealing.add(key);
    try {
      await this.txs.send([
        computeMsg.revealResult({
          taskId: BigInt(e.taskId),
          shard: e.shard,
          replica: e.replica,
          resultSha256: fromHex(e.resultSha256),
          salt: fromHex(e.salt),
          resultBlob: e.resultBlob,
        }),
      ]);
      this.log.info("revealed", { slot: key });
      this.forget(key);
    } catch (err) {
      const code = codeOf(err);
      this.log.warn("reveal failed", { slot: key, code, error: (err as Error).message });
      // Past its deadline or settled: it can never be revealed; anything else is retried next block.
      if (code === "DEADLINE_PASSED" || code === "CONFLICT" || code === "COMMITMENT_MISMATCH")
        this.forget(key);
    } finally {
      this.revealing.delete(key);
    }
  }

  private forget(key: string): void {
    this.owed.delete(key);
    this.owedBySlot.delete(key);
  }

  private async fetchInput(a: AssignmentJson): Promise<Uint8Array> {
    const { record } = (await this.client.query("records", "record", { id: a.record_id })) as {
      record: { blob_sha256: string };
    };
    const k = a.input_key!;
    const contentKey = unwrapContentKey(
      {
        recipient: this.address,
        ephemeralPublicKey: fromHex(k.ephemeral_public_key!),
        wrappedKey: fromHex(k.wrapped_key!),
        nonce: fromHex(k.nonce!),
      },
      this.opts.encryptionKey,
    );
    return decryptBlob(await this.gateway.fetchInput(record.blob_sha256, a.record_id), contentKey);
  }

  /** Uploads the result sealed for the requester; "" when the requester published no encryption key. */
  private async uploadResult(canonical: Uint8Array, requester: string): Promise<string> {
    const published = (await this.client
      .query("records", "encryption_key", { address: requester })
      .catch(() => undefined)) as { public_key?: string } | undefined;
    if (!published?.public_key) return "";
    const sealed = sealResult(canonical, requester, fromHex(published.public_key));
    await this.gateway.upload(sealed.sha256, sealed.bytes);
    return sealed.sha256;
  }
}
