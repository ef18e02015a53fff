// `btt tx compute …` and `btt compute …` in-process against a real node and API on a dev chain
// from `btt init` (credentials, the shipped models, the caries benchmark suite and the reward pool at genesis).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encryptionKeyFromSeed } from "@btt/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

let chain: CliChain;
let a: Record<"alice" | "bob" | "carol", string>;
let worker: string;
const WORKER_KEY = Buffer.from(encryptionKeyFromSeed(new Uint8Array(32).fill(7)).publicKey).toString("hex");
const REGISTER = [
  "--jurisdiction",
  "DE",
  "--bond",
  "2btt",
  "--price",
  "100ubtt",
  "--tflops",
  "100",
  "--power-w",
  "65",
];

beforeAll(async () => {
  chain = await startCliChain({
    prefix: "btt-cli-compute-",
    passphrase: "compute passphrase",
    blockIntervalMs: 50,
  });
  a = chain.init.accounts as typeof a;
  worker = (chain.init as unknown as { worker: string }).worker;
});

afterAll(() => chain?.close());

describe("btt tx compute register-node", () => {
  it("refuses a bad command line in one line, before any passphrase or tx", async () => {
    const one = async (extra: string[], reason: RegExp) => {
      const r = await cli("tx", "compute", "register-node", ...extra);
      expect(r.status, r.err).toBe(1);
      expect(r.err.split("\n")).toHaveLength(1);
      expect(r.err).toMatch(reason);
    };
    await one(["alice", worker, ...REGISTER], /--encryption-key must be the worker's X25519 public key/);
    await one(["alice", "btt1nope", "--encryption-key", WORKER_KEY, ...REGISTER], /^btt: .*worker/);
    await one(["alice", worker, "--encryption-key", "ab", ...REGISTER], /64 hex digits/);
    const without = (name: string) => {
      const i = REGISTER.indexOf(name);
      return [...REGISTER.slice(0, i), ...REGISTER.slice(i + 2)];
    };
    await one(
      ["alice", worker, "--encryption-key", WORKER_KEY, ...without("--jurisdiction")],
      /needs --jurisdiction/,
    );
    await one(["alice", worker, "--encryption-key", WORKER_KEY, ...without("--bond")], /--bond is required/);
    await one(
      ["alice", worker, "--encryption-key", WORKER_KEY, ...without("--tflops")],
      /--tflops is required/,
    );
    await one(
      ["alice", worker, "--encryption-key", WORKER_KEY, ...REGISTER, "--capacity", "0"],
      /--capacity "0"/,
    );
    await one(
      ["alice", worker, "--encryption-key", WORKER_KEY, ...REGISTER, "--bond", "0btt"],
      /--bond "0btt" must be positive/,
    );
    await one(
      ["alice", worker, "--encryption-key", WORKER_KEY, ...REGISTER, "--bond", "2eth"],
      /^btt: .*eth/,
    );
    expect((await cli("tx", "compute", "register-node", "alice")).status).toBe(2);
    // Nothing reached the chain.
    expect((await json("compute", "nodes")).nodes).toEqual([]);
  });

  it("refuses an account without a node_operator credential in the jurisdiction, with the chain's reason", async () => {
    const r = await cli(
      "tx",
      "compute",
      "register-node",
      "bob",
      worker,
      "--encryption-key",
      WORKER_KEY,
      ...REGISTER,
      "--jurisdiction",
      "FR",
    );
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^btt: .*holds no valid node_operator credential in FR/);
  });
});

describe("btt compute queries", () => {
  it("shows a registered node, the pool, and follows operator actions", async () => {
    const reg = await json(
      "tx",
      "compute",
      "register-node",
      "alice",
      worker,
      "--encryption-key",
      WORKER_KEY,
      ...REGISTER,
    );
    expect(reg.code_name).toBe("OK");
    expect(reg.events.map((e: { type: string }) => e.type)).toContain("compute/benchmark_issued");

    const node = await json("compute", "node", worker);
    // The dev genesis has the caries benchmark suite: a new node is benchmarked first.
    expect(node).toMatchObject({
      id: worker,
      operator: a.alice,
      status: "benchmarking",
      bond: "2000000",
      price: "100",
    });
    expect(node.encryption_key).toBe(WORKER_KEY);
    const human = await cli("compute", "node", worker);
    expect(human.out).toContain(`node ${worker}  benchmarking  DE`);
    expect(human.out).toContain(`operator     ${a.alice}`);

    expect((await json("compute", "nodes")).nodes.map((n: { id: string }) => n.id)).toEqual([worker]);
    expect((await json("compute", "nodes", "--status", "active")).nodes).toEqual([]);
    expect((await cli("compute", "nodes", "--status", "asleep")).err).toMatch(
      /^btt: --status "asleep" is not one of/,
    );

    const pool = await json("compute", "pool");
    expect(pool).toMatchObject({
      escrow_balance: "2000000",
      reward_pool_balance: "100000000",
      denom: "ubtt",
    });
    expect((await cli("compute", "pool")).out).toMatch(/^escrow {7}2000000ubtt/);

    // An operator action the node's state does not allow: the chain's reason, in one line.
    const pause = await cli("tx", "compute", "pause", "alice", worker);
    expect(pause.status).toBe(1);
    expect(pause.err).toMatch(/^btt: .*cannot pause node .*: it is benchmarking$/);
    const notYours = await cli("tx", "compute", "unbond", "bob", worker);
    expect(notYours.status).toBe(1);
    expect((await json("compute", "node", worker)).status).toBe("benchmarking");
  });

  it("submits a task on an encrypted record and lists it", async () => {
    const file = join(chain.dir, "scan.bin");
    writeFileSync(file, Buffer.alloc(2000, 3));
    const second = join(chain.dir, "scan2.bin");
    writeFileSync(second, Buffer.alloc(2000, 4));
    // Two files: one task, one shard each.
    const submitted = await json(
      "compute",
      "submit",
      file,
      second,
      "--no-wait",
      "--max-fee",
      "500ubtt",
      "--deadline",
      "40",
    );
    expect(submitted.record_ids).toHaveLength(2);
    const [recordId] = submitted.record_ids as string[];
    expect(recordId).toMatch(/^rec-[0-9a-f]{16}$/);
    expect(submitted.task_id).toBe("1");

    const task = await json("compute", "task", "1");
    expect(task).toMatchObject({
      id: "1",
      requester: a.alice,
      model_id: "btt.dental.caries.bitewing",
      model_version: "0.1.0",
      inputs: submitted.record_ids,
      escrow: "1000",
      state: "open",
    });
    // The node is still benchmarking: nobody takes the slot.
    expect(task.slots).toMatchObject([
      { shard: 0, replica: 0, state: "pending" },
      { shard: 1, replica: 0, state: "pending" },
    ]);
    expect((await cli("compute", "task", "1")).out).toContain("shard 0 replica 0  pending");

    const again = await json("tx", "compute", "submit-task", "alice", recordId!, "--urgency", "stat");
    expect(again.events.find((e: { type: string }) => e.type === "compute/task_submitted")).toBeTruthy();
    const mine = await json("compute", "tasks", "--requester", a.alice);
    expect(mine.tasks.map((t: { id: string }) => t.id)).toEqual(["1", "2"]);
    expect((await json("compute", "tasks", "--after", "1")).tasks.map((t: { id: string }) => t.id)).toEqual([
      "2",
    ]);
    expect((await json("compute", "tasks", "--requester", a.bob)).tasks).toEqual([]);

    // Bob may not process alice's record without her consent.
    const refused = await cli("tx", "compute", "submit-task", "bob", recordId!);
    expect(refused.status).toBe(1);
    expect(refused.err).toMatch(/^btt: .*UNAUTHORIZED: no consent to process record/);
  });

  it("has every shipped model registered at genesis: a task may name the periodontal one", async () => {
    const models = (await json("ai", "models")).models as Array<{ id: string; task: string }>;
    expect(models.map((m) => [m.id, m.task])).toEqual([
      ["btt.ct.generic.lesion-slice", "ct-slice-lesion-classification"],
      ["btt.dental.caries.bitewing", "caries-detection"],
      ["btt.dental.endodontic.periapical", "periapical-lesion-detection"],
      ["btt.dental.oral-pathology.screening", "oral-pathology-screening"],
      ["btt.dental.orthodontic.landmarks", "orthodontic-cephalometric-landmarks"],
      ["btt.dental.periodontal.bone-loss", "periodontal-bone-loss"],
    ]);
    const file = join(chain.dir, "perio.bin");
    writeFileSync(file, Buffer.alloc(2000, 5));
    const submitted = await json(
      "compute",
      "submit",
      file,
      "--model",
      "btt.dental.periodontal.bone-loss",
      "--no-wait",
      "--max-fee",
      "500ubtt",
    );
    // The chain resolved the latest active version from the registry.
    expect(await json("compute", "task", submitted.task_id)).toMatchObject({
      model_id: "btt.dental.periodontal.bone-loss",
      model_version: "0.1.0",
      inputs: submitted.record_ids,
    });
  });

  it("fails in one line on bad input", async () => {
    expect((await cli("compute", "task", "x1")).err).toBe('btt: task id "x1" is not a number');
    expect((await cli("compute", "task", "99")).err).toMatch(/^btt: .*99/);
    expect((await cli("compute", "node", "btt1nope")).status).toBe(1);
    expect((await cli("tx", "compute", "submit-task", "alice", "r1", "--urgency", "now")).err).toBe(
      'btt: --urgency "now" is not stat, urgent or routine',
    );
    expect((await cli("compute", "submit", join(chain.dir, "missing.png"))).err).toMatch(/^btt: no file/);
    const help = await cli("compute", "submit", "--help");
    expect(help.status).toBe(0);
    expect(help.out).toContain("Usage: btt compute submit <file>... [options]");
    expect((await cli("tx", "compute", "--help")).out).toContain("register-node");
  });
});
