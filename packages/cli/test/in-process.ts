// Running `btt …` in this process (runCli, the function the binary calls) against a real node and
// API on a free port, for the command tests: what they share, so each file states only its cases.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApi, startApi } from "@btt/api";
import { type BttNode, openHomeNode, SoloDriver } from "@btt/node";
import { vi } from "vitest";
import { runCli } from "../src/cli.ts";

/** Runs `btt …` in this process, capturing what it prints. */
export async function cli(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const status = await runCli(argv);
    return { status, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

/** `btt … --json`, parsed; a failing command throws with its one-line reason. */
export async function json(...argv: string[]) {
  const r = await cli(...argv, "--json");
  if (r.status !== 0) throw new Error(`btt ${argv.join(" ")}: ${r.err}`);
  return JSON.parse(r.out);
}

export interface CliChain {
  dir: string;
  node: BttNode;
  driver: SoloDriver;
  api: RunningApi;
  /** What `btt init --json` printed. */
  init: { accounts: Record<string, string>; validator: string; dev_passphrase: string | null };
  close(): Promise<void>;
}

/**
 * `btt init` in a temp home (keyring sealed with `passphrase`), then the node, its API on a free
 * port and a solo driver; BTT_HOME, BTT_KEYRING_PASSPHRASE and BTT_NODE point at them until close.
 */
export async function startCliChain(opts: {
  prefix: string;
  passphrase: string;
  blockIntervalMs: number;
  /** Changes the genesis `btt init` wrote before the node opens it. */
  // biome-ignore lint/suspicious/noExplicitAny: a genesis document, edited field by field by the test
  editGenesis?: (genesis: Record<string, any>) => void;
}): Promise<CliChain> {
  const dir = mkdtempSync(join(tmpdir(), opts.prefix));
  process.env.BTT_HOME = join(dir, "home");
  process.env.BTT_KEYRING_PASSPHRASE = opts.passphrase;
  const init = await json("init");
  if (opts.editGenesis) {
    const file = join(process.env.BTT_HOME, "genesis.json");
    const genesis = JSON.parse(readFileSync(file, "utf8"));
    opts.editGenesis(genesis);
    writeFileSync(file, JSON.stringify(genesis, null, 2));
  }
  const opened = openHomeNode(process.env.BTT_HOME, { verifyThreads: 0 });
  const node = opened.node;
  const api = await startApi(node, { port: 0, logger: false, rateLimit: { max: 0, windowMs: 1000 } });
  process.env.BTT_NODE = api.url;
  const driver = new SoloDriver(node, {
    blockIntervalMs: opts.blockIntervalMs,
    limits: opened.config.block,
    proposer: opened.config.validator,
  });
  driver.start();
  // Queries answer once the genesis block is committed.
  while (node.height === 0) await new Promise((r) => setTimeout(r, 20));
  return {
    dir,
    node,
    driver,
    api,
    init,
    close: async () => {
      driver.stop();
      await api.close();
      await node.close();
      for (const k of ["BTT_HOME", "BTT_KEYRING_PASSPHRASE", "BTT_NODE"]) delete process.env[k];
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
