// Running real CometBFT processes beside BTT apps in tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { NodePorts } from "../src/testnet.ts";

// Ports are drawn below the kernel's ephemeral range (32768 and up on Linux): a port the OS handed
// out for a listener a moment ago can be taken as the local port of an outgoing connection (the
// nodes dial each other) before the process that should listen on it starts.
const PORT_RANGE_START = 20_000;
const PORT_RANGE_SIZE = 12_000;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1 nothing listens on, not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_RANGE_START + Math.floor(Math.random() * PORT_RANGE_SIZE);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await canListen(port)) return port;
  }
  throw new Error("no free port found below the ephemeral range");
}

/** The parts of CometBFT RPC results the tests read. */
/** Free ports for `count` nodes of a local network (p2p, rpc, abci, api each). */
export async function freeNodePorts(count: number): Promise<NodePorts[]> {
  const ports: NodePorts[] = [];
  for (let i = 0; i < count; i++) {
    ports.push({
      p2p: await freePort(),
      rpc: await freePort(),
      abci: await freePort(),
      api: await freePort(),
    });
  }
  return ports;
}

/** Polls `ok` every 50 ms; throws naming `what` after `timeoutMs`. */
export async function waitUntil(ok: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TxCommitResult {
  check_tx: { code: number };
  tx_result: { code: number };
  height: string;
}
export interface TxSyncResult {
  code: number;
  codespace: string;
}
export interface BlockResult {
  block: { header: { app_hash: string; chain_id: string; height: string }; data: { txs: string[] | null } };
}
export interface AbciQueryResult {
  response: {
    code: number;
    value: string;
    proofOps: { ops: Array<{ type: string; key: string; data: string }> };
  };
}

export class CometNode {
  private child: ChildProcess | undefined;

  constructor(
    readonly bin: string,
    readonly home: string,
    readonly rpcPort: number,
  ) {}

  start(): void {
    const log = createWriteStream(join(this.home, "cometbft.log"), { flags: "a" });
    this.child = spawn(this.bin, ["start", "--home", this.home], { stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.pipe(log);
    this.child.stderr!.pipe(log);
  }

  /** The last lines of this node's log, for a failing test's message. */
  logTail(lines = 40): string {
    const path = join(this.home, "cometbft.log");
    if (!existsSync(path)) return "(no log)";
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** SIGTERM, then waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async rpc<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.rpcPort}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json()) as { result?: T; error?: { message: string; data?: string } };
    if (body.error) throw new Error(`${method}: ${body.error.message} ${body.error.data ?? ""}`);
    return body.result as T;
  }

  /** A validator's voting power in /validators at a height (0n when it is not in the set). */
  async power(pubKeyBase64: string, height: number): Promise<bigint> {
    const r = await this.rpc<{ validators: Array<{ pub_key: { value: string }; voting_power: string }> }>(
      "validators",
      { height: String(height), per_page: "100" },
    );
    return BigInt(r.validators.find((v) => v.pub_key.value === pubKeyBase64)?.voting_power ?? "0");
  }

  async height(): Promise<number> {
    const s = await this.rpc<{ sync_info: { latest_block_height: string } }>("status");
    return Number(s.sync_info.latest_block_height);
  }

  /** Polls until the node reports at least `height` (RPC errors while starting are retried). */
  async waitHeight(height: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const h = await this.height();
        if (h >= height) return h;
      } catch {
        // Not up yet.
      }
      if (Date.now() > deadline) throw new Error(`CometBFT at ${this.home} did not reach height ${height}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Runs `body`; when it throws, the error carries the tail of each node's log. */
export async function withLogs(nodes: () => CometNode[], body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    e.message += nodes()
      .map((n) => `\n--- ${n.home}/cometbft.log ---\n${n.logTail()}`)
      .join("");
    throw e;
  }
}
