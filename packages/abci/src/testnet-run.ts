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

/**
 * Starts each node's `btt abci` (the command line given, plus `--home`) and, once its ABCI
 * port listens, its `cometbft start`; both detached, logging to the node's btt.log and
 * cometbft.log. Their pids go to pids.json for `stop`.
 */
export async function startTestnet(
  dir: string,
  bttCommand: string[],
  cometbft: string,
): Promise<RunningNode[]> {
  const manifest = readManifest(dir);
  if (existsSync(pidsPath(dir))) {
    const old: RunningNode[] = JSON.parse(readFileSync(pidsPath(dir), "utf8"));
    if (old.some((n) => alive(n.btt) || alive(n.cometbft))) {
      throw new BttError("CONFLICT", `the testnet in ${dir} is running: \`btt testnet stop\` first`);
    }
  }
  const running: RunningNode[] = [];
  const launch = (cmd: string, args: string[], log: string) => {
    const fd = openSync(log, "a");
    const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd] });
    closeSync(fd);
    child.unref();
    return child.pid!;
  };
  for (const n of manifest.nodes) {
    const btt = launch(bttCommand[0]!, [...bttCommand.slice(1), "--home", n.home], join(n.home, "btt.log"));
    running.push({ name: n.name, btt, cometbft: 0 });
    writeFileSync(pidsPath(dir), `${JSON.stringify(running, null, 2)}\n`);
  }
  for (const [i, n] of manifest.nodes.entries()) {
    await waitForPort(n.ports.abci, 60_000);
    running[i]!.cometbft = launch(cometbft, ["start", "--home", n.cometHome], join(n.home, "cometbft.log"));
    writeFileSync(pidsPath(dir), `${JSON.stringify(running, null, 2)}\n`);
  }
  return running;
}

/** SIGTERM to every CometBFT, then every BTT node; waits for them to exit. */
export async function stopTestnet(dir: string, timeoutMs = 20_000): Promise<number> {
  readManifest(dir);
  if (!existsSync(pidsPath(dir))) return 0;
  const running: RunningNode[] = JSON.parse(readFileSync(pidsPath(dir), "utf8"));
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
  rmSync(pidsPath(dir), { force: true });
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
