// `btt testnet start|stop|status`: the processes of a local network made by initTestnet.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { BttError } from "@btt/core";
import { manifestPath, type TestnetManifest } from "./testnet.ts";

export interface RunningNode {
  name: string;
  btt: number;
  cometbft: number;
}

const pidsPath = (dir: string) => join(dir, "pids.json");

export function readManifest(dir: string): TestnetManifest {
  if (!existsSync(manifestPath(dir))) {
    throw new BttError("NOT_FOUND", `${dir} holds no testnet: run \`btt testnet init\` first`);
  }
  return JSON.parse(readFileSync(manifestPath(dir), "utf8"));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new BttError("TIMEOUT", `nothing listens on port ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

function readPids(dir: string): RunningNode[] {
  return existsSync(pidsPath(dir)) ? JSON.parse(readFileSync(pidsPath(dir), "utf8")) : [];
}

function writePids(dir: string, running: RunningNode[]): void {
  if (running.length === 0) rmSync(pidsPath(dir), { force: true });
  else writeFileSync(pidsPath(dir), `${JSON.stringify(running, null, 2)}\n`);
}

/** The manifest's nodes named in `only` (all when it is empty); an unknown name is refused. */
function selectNodes(manifest: TestnetManifest, only: readonly string[]): TestnetManifest["nodes"] {
  const names = new Set(manifest.nodes.map((n) => n.name));
  const unknown = only.filter((name) => !names.has(name));
  if (unknown.length > 0) {
    throw new BttError(
      "NOT_FOUND",
      `no node ${unknown.join(", ")} in this testnet (it has ${[...names].join(", ")})`,
    );
  }
  return only.length === 0 ? manifest.nodes : manifest.nodes.filter((n) => only.includes(n.name));
}

/**
 * Starts each chosen node's `btt abci` (the command line given, plus `--home`) and, once its
 * ABCI port listens, its `cometbft start`; both detached, logging to the node's btt.log and
 * cometbft.log. Their pids go to pids.json for `stop`. `only` names nodes to start (default:
 * all); a node already running is refused, the others' entries are kept.
 */
export async function startTestnet(
  dir: string,
  bttCommand: string[],
  cometbft: string,
  only: readonly string[] = [],
): Promise<RunningNode[]> {
  const nodes = selectNodes(readManifest(dir), only);
  const chosen = new Set(nodes.map((n) => n.name));
  const previous = readPids(dir);
  const busy = previous.filter((n) => chosen.has(n.name) && (alive(n.btt) || alive(n.cometbft)));
  if (busy.length > 0) {
    throw new BttError(
      "CONFLICT",
      `${busy.map((n) => n.name).join(", ")} of the testnet in ${dir} is running: \`btt testnet stop\` first`,
    );
  }
  const kept = previous.filter((n) => !chosen.has(n.name));
  const running: RunningNode[] = [];
  const save = () => writePids(dir, [...kept, ...running]);
  const launch = (cmd: string, args: string[], log: string) => {
    const fd = openSync(log, "a");
    const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    child.unref();
    return child.pid!;
  };
  for (const n of nodes) {
    const btt = launch(bttCommand[0]!, [...bttCommand.slice(1), "--home", n.home], join(n.home, "btt.log"));
    running.push({ name: n.name, btt, cometbft: 0 });
    save();
  }
  for (const [i, n] of nodes.entries()) {
    await waitForPort(n.ports.abci, 60_000);
    running[i]!.cometbft = launch(cometbft, ["start", "--home", n.cometHome], join(n.home, "cometbft.log"));
    save();
  }
  return running;
}

/**
 * SIGTERM to the chosen nodes' CometBFT, then their BTT node (default: every node); waits for
 * them to exit. Returns the number of processes stopped.
 */
export async function stopTestnet(
  dir: string,
  timeoutMs = 20_000,
  only: readonly string[] = [],
): Promise<number> {
  const chosen = new Set(selectNodes(readManifest(dir), only).map((n) => n.name));
  const previous = readPids(dir);
  const running = previous.filter((n) => chosen.has(n.name));
  let stopped = 0;
  for (const kind of ["cometbft", "btt"] as const) {
    const pids = running.map((n) => n[kind]).filter((p) => p > 0 && alive(p));
    for (const pid of pids) process.kill(pid, "SIGTERM");
    stopped += pids.length;
    const deadline = Date.now() + timeoutMs;
    while (pids.some(alive)) {
      if (Date.now() > deadline) {
        for (const pid of pids.filter(alive)) process.kill(pid, "SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  writePids(
    dir,
    previous.filter((n) => !chosen.has(n.name)),
  );
  return stopped;
}

export interface NodeStatus {
  name: string;
  rpc: string;
  up: boolean;
  height?: number;
  app_hash?: string;
  catching_up?: boolean;
}

/** Each node's height and app hash from its CometBFT RPC, or down. */
export async function testnetStatus(dir: string): Promise<NodeStatus[]> {
  const manifest = readManifest(dir);
  return Promise.all(
    manifest.nodes.map(async (n): Promise<NodeStatus> => {
      const rpc = `http://127.0.0.1:${n.ports.rpc}`;
      try {
        const res = await fetch(`${rpc}/status`, { signal: AbortSignal.timeout(3000) });
        const body = (await res.json()) as {
          result: {
            sync_info: { latest_block_height: string; latest_app_hash: string; catching_up: boolean };
          };
        };
        const s = body.result.sync_info;
        return {
          name: n.name,
          rpc,
          up: true,
          height: Number(s.latest_block_height),
          app_hash: s.latest_app_hash.toLowerCase(),
          catching_up: s.catching_up,
        };
      } catch {
        return { name: n.name, rpc, up: false };
      }
    }),
  );
}
