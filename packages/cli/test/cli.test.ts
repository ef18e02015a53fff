// The README tour through the real `btt` entry (node --import tsx packages/cli/src/main.ts), in a
// temporary home with the API on a free port, and the error exits a person meets on the way.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../../..");
const MAIN = join(ROOT, "packages/cli/src/main.ts");
const DEV_PASSPHRASE = "btt-dev-keyring";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let home: string;
let nodeUrl: string;
/** Every btt process still running, so a failed test leaves none behind. */
const children = new Set<ChildProcess>();

function spawnBtt(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    BTT_HOME: home,
    BTT_NODE: nodeUrl,
    BTT_KEYRING_PASSPHRASE: DEV_PASSPHRASE,
    ...env,
  };
  for (const [k, v] of Object.entries(merged)) if (v === undefined) delete merged[k];
  const child = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], {
    cwd: ROOT,
    env: merged as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Runs `btt …` to completion; stdin gets `input` (then EOF), so it is never a terminal. */
function btt(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Run> {
  const child = spawnBtt(args, opts.env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  child.stdin!.end(opts.input ?? "");
  return new Promise((done) => child.on("close", (code) => done({ code, stdout, stderr })));
}

async function ok(args: string[], opts: Parameters<typeof btt>[1] = {}): Promise<string> {
  const r = await btt(args, opts);
  if (r.code !== 0) throw new Error(`btt ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const json = async (args: string[], opts: Parameters<typeof btt>[1] = {}) =>
  JSON.parse(await ok([...args, "--json"], opts));

/** Splits a README command line into words ("quoted words" stay one), substituting $VARS. */
function words(line: string, vars: Record<string, string>): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map(
    (m) => m[1] ?? m[2]!.replace(/^\$(\w+)$/, (_, v) => vars[v]!),
  );
}

/** Collects a child's stdout lines; `until` resolves once one matches (earlier lines count). */
function lines(child: ChildProcess) {
  const seen: string[] = [];
  let buffer = "";
  let waiters: Array<{ pattern: RegExp; done: (line: string) => void }> = [];
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    for (const line of parts) {
      seen.push(line);
      const matched = waiters.filter((w) => w.pattern.test(line));
      waiters = waiters.filter((w) => !matched.includes(w));
      for (const w of matched) w.done(line);
    }
  });
  return {
    seen,
    until(pattern: RegExp): Promise<string> {
      const found = seen.find((l) => pattern.test(l));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((done, reject) => {
        waiters.push({ pattern, done });
        child.once("exit", (code) => reject(new Error(`btt exited ${code} before printing ${pattern}`)));
      });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

const README = readFileSync(join(ROOT, "README.md"), "utf8");
/** The tour's commands, exactly as the README writes them (checked below), "npx btt" dropped. */
const TOUR = {
  addAna: "npx btt keys add ana",
  addBen: "npx btt keys add ben --type ml-dsa-65",
  showAna: "ANA=$(npx btt keys show ana --address)",
  showBen: "BEN=$(npx btt keys show ben --address)",
  watch: "npx btt watch blocks",
  fund: "npx btt tx bank send alice $ANA 100btt",
  send: 'npx btt tx bank send ana $BEN 2.5btt --memo "first BTT"',
  balance: "npx btt query bank balance $BEN",
  passphrase: `export BTT_KEYRING_PASSPHRASE=${DEV_PASSPHRASE}`,
};
const tourArgs = (line: string, vars: Record<string, string> = {}) =>
  words(line.replace(/^\w+=\$\(|\)$/g, "").replace(/^npx btt /, ""), vars);

describe("btt, the README tour through the real binary", () => {
  let node: ChildProcess;
  let nodeLog: ReturnType<typeof lines>;
  let demo: Record<string, string>;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "btt-cli-"));
    const port = await freePort();
    nodeUrl = `http://127.0.0.1:${port}`;
    // init as `npm start` runs it on a first run: no passphrase in the environment.
    const init = await json(["init"], { env: { BTT_KEYRING_PASSPHRASE: undefined } });
    expect(init).toMatchObject({ chain_id: "btt-dev-1", dev_passphrase: DEV_PASSPHRASE });
    demo = init.accounts;
    // Quicker blocks than the default second keep the test short; the commands are the same.
    const config = JSON.parse(readFileSync(join(home, "config.json"), "utf8"));
    writeFileSync(join(home, "config.json"), JSON.stringify({ ...config, blockIntervalMs: 250 }));
    node = spawnBtt(["start", "--api-port", String(port)]);
    node.stderr!.on("data", (d: Buffer) => process.stderr.write(d));
    nodeLog = lines(node);
    await nodeLog.until(/"msg":"Node started"/);
  });

  afterAll(async () => {
    await Promise.all(
      [...children].map((child) => {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGKILL");
        return exited;
      }),
    );
    rmSync(home, { recursive: true, force: true });
  });

  it("the README shows these tour commands as the test runs them", () => {
    for (const line of Object.values(TOUR)) expect(README).toContain(line);
  });

  it("creates two keys, sends BTT, watches its block, queries the balance with a verified proof", async () => {
    const [ana, ben] = await Promise.all([json(tourArgs(TOUR.addAna)), json(tourArgs(TOUR.addBen))]);
    expect(ana.mnemonic.split(" ")).toHaveLength(24);
    expect(ben.type).toBe("ml-dsa-65");
    // The watcher runs in the background, as in the README's second terminal; it starts while
    // the addresses are read.
    const watcher = spawnBtt(tourArgs(TOUR.watch));
    const watched = lines(watcher);
    const [ANA, BEN] = (
      await Promise.all([ok(tourArgs(TOUR.showAna)), ok(tourArgs(TOUR.showBen)), watched.until(/^block \d+/)])
    ).map((s) => s.trim()) as [string, string];
    expect([ANA, BEN]).toEqual([ana.address, ben.address]);

    const fund = await json(tourArgs(TOUR.fund, { ANA }));
    expect(fund).toMatchObject({ committed: true, code: 0, amount: { denom: "ubtt", amount: "100000000" } });
    const sendOut = await ok(tourArgs(TOUR.send, { BEN }));
    expect(sendOut).toMatch(
      /^Sent 2\.5 BTT from ana \(btt1\w+\) to btt1\w+\ntx [0-9a-f]{64} committed in block \d+/,
    );
    const [, sendHash, sendHeight] = /tx ([0-9a-f]{64}) committed in block (\d+)/.exec(sendOut)!;

    // The watcher shows the block that carries the transfer, with the tx in it (the worker
    // `npm start` runs beside the node may have a heartbeat in the same block).
    await watched.until(new RegExp(`^  tx ${sendHash} OK$`));
    expect(watched.seen.join("\n")).toMatch(
      new RegExp(
        `block ${sendHeight}  \\S+  \\d+ txs?\\n  hash {6}[0-9a-f]{64}\\n  app hash +[0-9a-f]{64}\\n(  tx [0-9a-f]{64} \\w+\\n)*  tx ${sendHash} OK`,
      ),
    );
    const watcherDone = new Promise((done) => watcher.once("exit", done));
    watcher.kill("SIGINT");
    expect(await watcherDone).toBe(0);

    const [balanceText, balance, tx, block, account, status] = await Promise.all([
      ok(tourArgs(TOUR.balance, { BEN })),
      json(tourArgs(TOUR.balance, { BEN })),
      json(["query", "tx", sendHash!]),
      json(["query", "block", sendHeight!]),
      json(["query", "account", ANA]),
      json(["status"]),
    ]);
    expect(balanceText).toMatch(/^2\.5 BTT \(2500000ubtt\) at btt1/);
    expect(balanceText).toMatch(
      /verified: Merkle proof checked against app hash [0-9a-f]{64}\n\s+of block \d+/,
    );
    expect(balance).toMatchObject({ address: BEN, denom: "ubtt", amount: "2500000", verified: true });
    expect(balance.app_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tx).toMatchObject({ hash: sendHash, status: "committed", height: sendHeight, code: 0 });
    expect(tx.tx.body.memo).toBe("first BTT");
    expect(block.tx_hashes).toContain(sendHash);
    expect(account).toMatchObject({ address: ANA, nonce: "1", key_type: "ed25519" });
    expect(BigInt(account.balances[0].amount)).toBeLessThan(100_000_000n - 2_500_000n); // minus the fee
    expect(BigInt(status.height)).toBeGreaterThanOrEqual(BigInt(sendHeight!));
    // The node logged the blocks too (terminal 1 of the tour).
    await nodeLog.until(new RegExp(`"height":${sendHeight},"txs":\\d+,.*"msg":"Block committed"`));
  }, 150_000); // a dozen CLI processes and a node with its worker: slow on a loaded 2-core machine

  it("recovers a key from a mnemonic on stdin", async () => {
    const carla = await json(["keys", "add", "carla"]);
    const recovered = await json(["keys", "add", "carla-again", "--recover"], {
      input: `${carla.mnemonic}\n`,
    });
    expect(recovered.address).toBe(carla.address);
    expect(recovered.mnemonic).toBeUndefined(); // a recovered mnemonic is not echoed back
  });

  it("fails with one line and a non-zero status on bad input", async () => {
    const bob = demo.bob!;
    const cases: Array<[string[], Parameters<typeof btt>[1], number, RegExp]> = [
      [
        ["tx", "bank", "send", "alice", "btt1notanaddress", "5btt"],
        {},
        1,
        /^btt: to-address is not a valid bech32 address/,
      ],
      [
        ["tx", "bank", "send", "alice", bob, "1.0000001btt"],
        {},
        1,
        /^btt: amount "1.0000001btt" has 7 decimals; BTT has at most 6$/,
      ],
      [
        ["tx", "bank", "send", "alice", bob, "5btt"],
        { env: { BTT_KEYRING_PASSPHRASE: "not-the-passphrase" } },
        1,
        /^btt: wrong passphrase for key alice$/,
      ],
      [
        ["tx", "bank", "send", "nobody", bob, "5btt"],
        {},
        1,
        /^btt: no key named "nobody" in .*; see btt keys list$/,
      ],
      [
        ["tx", "bank", "send", "alice", bob, "5btt"],
        { env: { BTT_KEYRING_PASSPHRASE: undefined } },
        1,
        /^btt: no passphrase for key alice: set BTT_KEYRING_PASSPHRASE or run btt in a terminal$/,
      ],
      [
        ["query", "block", "--node", "http://127.0.0.1:1"],
        {},
        1,
        /^btt: no node answers at http:\/\/127.0.0.1:1: start one with btt start/,
      ],
      [
        ["tx", "bank", "send", "alice"],
        {},
        2,
        /^btt: btt tx bank send needs <to-address>; see btt tx bank send --help$/,
      ],
    ];
    const runs = await Promise.all(cases.map(([args, opts]) => btt(args, opts)));
    runs.forEach((r, i) => {
      const [args, , status, reason] = cases[i]!;
      expect({ args, code: r.code }).toEqual({ args, code: status });
      expect(r.stderr.trimEnd(), `btt ${args.join(" ")}`).toMatch(reason);
      expect(r.stderr.trimEnd().split("\n"), "one line, no stack trace").toHaveLength(1);
      expect(r.stdout).toBe("");
    });
  });

  it("prints help, and stops cleanly on SIGTERM", async () => {
    // Through the npm bin shim (what `npx btt` runs), not only the TypeScript entry.
    const shim = spawn(
      process.execPath,
      [join(ROOT, "packages/cli/bin/btt.js"), "tx", "bank", "send", "--help"],
      {
        cwd: ROOT,
      },
    );
    let shimOut = "";
    shim.stdout.on("data", (d: Buffer) => (shimOut += d));
    const shimCode = await new Promise((done) => shim.on("close", done));
    expect(shimCode).toBe(0);
    expect(shimOut).toContain("Usage: btt tx bank send");
    const help = await btt(["tx", "bank", "send", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: btt tx bank send <from-key> <to-address> <amount> [options]");
    const exited = new Promise((done) => node.once("exit", done));
    node.kill("SIGTERM");
    expect(await exited).toBe(0);
    await nodeLog.until(/"msg":"Node stopped"/);
  });
});
