// The SDK's compute calls: builders refuse bad input before signing; an input key granted to a
// node opens for that node only; and against a real node and API, a task followed from
// submission to its verified result, its inputs granted by followTask, a test worker answering.
import { type RunningApi, startApi } from "@btt/api";
import { BttError, fromHex, MsgGrantInputSchema, MsgSubmitTaskSchema, sha256, toHex } from "@btt/core";
import { computeMsg } from "@btt/modules/compute/builders";
import { resultCommitment } from "@btt/modules/compute/commitment";
import { type BttNode, createDevGenesis, SoloDriver } from "@btt/node";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  BttClient,
  type ComputeTaskJson,
  compute,
  encryptionKeyFromSeed,
  followTask,
  getAssignments,
  getComputeNode,
  getComputePool,
  getComputeTask,
  grantInput,
  isNotFound,
  listComputeNodes,
  listComputeTasks,
  messageToJson,
  type RecordPointerJson,
  records,
  sealRecord,
  signerFromMnemonic,
  submitTask,
  type TaskProgress,
  taskIdOf,
  unwrapContentKey,
} from "../src/index.ts";
import { codeOf, openTestNode } from "./helpers.ts";

const MNEMONIC = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above";
const requester = signerFromMnemonic(MNEMONIC, { index: 1 });
const operator = signerFromMnemonic(MNEMONIC, { index: 2 });
const worker = signerFromMnemonic(MNEMONIC, { index: 3 });
const validator = signerFromMnemonic(MNEMONIC, { index: 99 });
const requesterKeys = encryptionKeyFromSeed(requester.seed);
const workerKeys = encryptionKeyFromSeed(worker.seed);
const HARDWARE = { accelerator: "cpu", gpuCount: 0, memoryGb: 0, tflopsMilli: 100, powerW: 65, cpuCores: 8 };
const MODEL = "btt.test.model";

function recordJson(id: string, sealed: ReturnType<typeof sealRecord>): RecordPointerJson {
  return {
    id,
    owner: requester.address,
    blob_sha256: sealed.sha256,
    wrapped_keys: sealed.wrappedKeys.map((w) => ({
      recipient: w.recipient,
      ephemeral_public_key: toHex(w.ephemeralPublicKey),
      wrapped_key: toHex(w.wrappedKey),
      nonce: toHex(w.nonce),
    })),
  };
}

describe("compute builders", () => {
  test("refuse bad input before signing, naming the field", () => {
    const base = {
      worker: worker.address,
      encryptionKey: workerKeys.publicKey,
      hardware: HARDWARE,
      jurisdiction: "DE",
      bond: 1_000_000n,
      price: 10n,
      capacity: 2,
    };
    expect(codeOf(() => compute.registerNode(base))).toBe("no error");
    expect(codeOf(() => compute.registerNode({ ...base, worker: "btt1nope" }))).toBe("INVALID_ADDRESS");
    expect(() => compute.registerNode({ ...base, encryptionKey: new Uint8Array(31) })).toThrow(/32 bytes/);
    expect(() => compute.registerNode({ ...base, jurisdiction: "Germany" })).toThrow(BttError);
    expect(() => compute.registerNode({ ...base, capacity: 0 })).toThrow(/capacity/);
    expect(() => compute.registerNode({ ...base, bond: 0n })).toThrow(/bond must be positive/);
    expect(() => compute.nodeAction("explode" as never, worker.address)).toThrow(/pause, resume/);
    const task = { modelId: MODEL, inputRecordIds: ["r1"], deadlineBlocks: 10, maxFee: 5n };
    expect(() => submitTask({ ...task, inputRecordIds: [] })).toThrow(/at least one input/);
    expect(() => submitTask({ ...task, inputRecordIds: ["a", "a"] })).toThrow(/repeat/);
    expect(() => submitTask({ ...task, urgency: "soon" as never })).toThrow(/stat, urgent or routine/);
    expect(() => submitTask({ ...task, maxFee: 0n })).toThrow(/maxFee must be positive/);
    expect(() => submitTask({ ...task, replication: 0 })).toThrow(/replication/);
  });

  test("an ordinary task gets a fresh random seal; the JSON form knows every compute message", () => {
    const task = { modelId: MODEL, inputRecordIds: ["r1"], deadlineBlocks: 10, maxFee: 5n };
    const a = fromBinary(MsgSubmitTaskSchema, submitTask(task).value);
    const b = fromBinary(MsgSubmitTaskSchema, submitTask(task).value);
    expect(a.seal).toHaveLength(32);
    expect(toHex(a.seal)).not.toBe(toHex(b.seal));
    expect(a).toMatchObject({ modelId: MODEL, urgency: "routine", replication: 1, maxFee: "5" });
    const json = messageToJson(submitTask(task));
    expect(json.type).toBe("compute/SubmitTask");
    expect(messageToJson(compute.nodeAction("unjail", worker.address)).type).toBe("compute/UnjailNode");
    expect(messageToJson(computeMsg.heartbeat()).type).toBe("compute/Heartbeat");
  });

  test("grantInput re-wraps the record's key for the assigned node, and only that node opens it", () => {
    const sealed = sealRecord(new TextEncoder().encode("radiograph"), [
      { address: requester.address, publicKey: requesterKeys.publicKey },
    ]);
    const task = {
      id: "7",
      requester: requester.address,
      inputs: ["r1"],
      slots: [
        { shard: 0, replica: 0, state: "assigned" as const, node: worker.address, missed_by: [], paid: "0" },
      ],
    };
    const m = grantInput(task, 0, 0, recordJson("r1", sealed), requesterKeys, toHex(workerKeys.publicKey));
    const grant = fromBinary(MsgGrantInputSchema, m.value);
    expect(grant).toMatchObject({ taskId: 7n, shard: 0, replica: 0 });
    const wrapped = {
      recipient: worker.address,
      ephemeralPublicKey: grant.ephemeralPublicKey,
      wrappedKey: grant.wrappedKey,
      nonce: grant.nonce,
    };
    expect(unwrapContentKey(wrapped, workerKeys)).toEqual(sealed.contentKey);
    expect(() => unwrapContentKey(wrapped, requesterKeys)).toThrow(/does not open/);
    expect(() => unwrapContentKey({ ...wrapped, recipient: operator.address }, workerKeys)).toThrow(
      /does not open/,
    );
    expect(() =>
      grantInput(task, 0, 1, recordJson("r1", sealed), requesterKeys, toHex(workerKeys.publicKey)),
    ).toThrow(/no shard 0 replica 1/);
    expect(() =>
      grantInput(task, 0, 0, recordJson("r2", sealed), requesterKeys, toHex(workerKeys.publicKey)),
    ).toThrow(/is record r1/);
    // The requester's own key must open the record.
    expect(() =>
      grantInput(task, 0, 0, recordJson("r1", sealed), workerKeys, toHex(workerKeys.publicKey)),
    ).toThrow(/does not open/);
  });
});

describe("a task against a real node", () => {
  const CHAIN = "btt-sdk-compute-1";
  let testNode: ReturnType<typeof openTestNode>;
  let node: BttNode;
  let driver: SoloDriver;
  let api: RunningApi;
  let client: BttClient;

  beforeAll(async () => {
    const genesis = createDevGenesis({
      chainId: CHAIN,
      genesisTime: "2026-01-01T00:00:00Z",
      validator,
      funded: [
        { signer: requester, ubtt: 50_000_000n },
        { signer: operator, ubtt: 50_000_000n },
        { signer: worker, ubtt: 50_000_000n },
      ],
      credentials: [
        { subject: operator.address, type: "node_operator", jurisdiction: "DE" },
        { subject: requester.address, type: "patient", jurisdiction: "DE" },
      ],
      aiModels: [
        {
          id: MODEL,
          owner: operator.address,
          task: "caries-detection",
          modalities: ["IO"],
          registered_at_ms: "0",
          versions: [
            {
              model_id: MODEL,
              version: "1.0.0",
              sha256: "11".repeat(32),
              card_sha256: "22".repeat(32),
              uri: "",
              size_bytes: "1",
              status: "active",
              published_at_ms: "0",
            },
          ],
        },
      ],
      compute: { rewardPoolUbtt: 5_000_000n, epochBlocks: 1000n },
    });
    testNode = openTestNode("compute", genesis, 50);
    node = testNode.node;
    driver = new SoloDriver(node, {
      blockIntervalMs: 0,
      limits: { maxTxs: 1000, maxBytes: 1 << 22 },
      proposer: validator.address,
    });
    driver.produce();
    driver.start();
    api = await startApi(node, { port: 0, logger: false, rateLimit: { max: 0, windowMs: 60_000 } });
    client = new BttClient({ url: api.url, chainId: CHAIN });
  });
  afterAll(async () => {
    driver?.stop();
    await api?.close();
    await testNode?.close();
  });

  test("submitted, assigned, granted, committed, revealed, verified, finished", async () => {
    await client.signAndSubmit(operator, [
      compute.registerNode({
        worker: worker.address,
        encryptionKey: workerKeys.publicKey,
        hardware: HARDWARE,
        jurisdiction: "DE",
        bond: 2_000_000n,
        price: 100n,
        capacity: 4,
      }),
    ]);
    await client.signAndSubmit(worker, [computeMsg.heartbeat()]);
    const registered = await getComputeNode(client, worker.address);
    expect(registered).toMatchObject({
      id: worker.address,
      operator: operator.address,
      status: "active",
      bond: "2000000",
    });
    expect(registered.encryption_key).toBe(toHex(workerKeys.publicKey));
    expect((await listComputeNodes(client, { operator: operator.address })).map((n) => n.id)).toEqual([
      worker.address,
    ]);
    expect(await listComputeNodes(client, { status: "paused" })).toEqual([]);
    expect(await getComputePool(client)).toMatchObject({
      reward_pool_balance: "5000000",
      escrow_balance: "2000000",
    });
    try {
      await getComputeNode(client, requester.address);
      expect.unreachable();
    } catch (err) {
      expect(isNotFound(err)).toBe(true);
    }

    const plaintext = new TextEncoder().encode("a synthetic bitewing");
    const sealed = sealRecord(plaintext, [
      { address: requester.address, publicKey: requesterKeys.publicKey },
    ]);
    await client.signAndSubmit(requester, [
      records.register({
        id: "scan-1",
        blobSha256: sealed.sha256,
        dataClass: "imaging",
        jurisdiction: "DE",
        wrappedKeys: sealed.wrappedKeys,
      }),
    ]);
    const submitted = await client.signAndSubmit(requester, [
      submitTask({ modelId: MODEL, inputRecordIds: ["scan-1"], deadlineBlocks: 50, maxFee: 150n }),
    ]);
    const taskId = taskIdOf(submitted);
    expect((await listComputeTasks(client, { requester: requester.address })).map((t) => t.id)).toEqual([
      taskId,
    ]);

    // The test's worker: once its input key is granted, it opens it, commits, then reveals.
    const answer = sha256(plaintext);
    const salt = new Uint8Array(32).fill(9);
    let opened: Uint8Array | undefined;
    let stop = false;
    const workerLoop = (async () => {
      let committed = false;
      while (!stop) {
        for (const a of await getAssignments(client, worker.address)) {
          if (!committed && a.input_key) {
            opened = unwrapContentKey(
              {
                recipient: worker.address,
                ephemeralPublicKey: fromHex(a.input_key.ephemeral_public_key),
                wrappedKey: fromHex(a.input_key.wrapped_key),
                nonce: fromHex(a.input_key.nonce),
              },
              workerKeys,
            );
            const commitment = resultCommitment(
              BigInt(a.task_id),
              a.shard,
              a.replica,
              worker.address,
              answer,
              salt,
            );
            await client.signAndSubmit(worker, [
              computeMsg.commitResult({
                taskId: BigInt(a.task_id),
                shard: a.shard,
                replica: a.replica,
                commitment: fromHex(commitment),
              }),
            ]);
            committed = true;
          } else if (committed && a.reveal_open) {
            await client.signAndSubmit(worker, [
              computeMsg.revealResult({
                taskId: BigInt(a.task_id),
                shard: a.shard,
                replica: a.replica,
                resultSha256: answer,
                salt,
              }),
            ]);
            return;
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const stages: TaskProgress[] = [];
    for await (const p of followTask(client, taskId, {
      pollMs: 20,
      timeoutMs: 20_000,
      grant: { keys: requesterKeys, submit: (m) => client.signAndSubmit(requester, m) },
    })) {
      stages.push(p);
    }
    stop = true;
    await workerLoop;
    expect(stages.map((s) => s.stage)).toEqual([
      "submitted",
      "assigned",
      "input_granted",
      "committed",
      "revealed",
      "verified",
      "finished",
    ]);
    expect(stages[1]).toMatchObject({ node: worker.address, assigned: 1, slots: 1 });
    expect(stages[5]).toMatchObject({ resultSha256: toHex(answer), paid: "100" });
    expect(stages[6]).toMatchObject({ state: "done" });
    expect(opened).toEqual(sealed.contentKey);
    const task: ComputeTaskJson = await getComputeTask(client, taskId);
    expect(task).toMatchObject({ state: "done", results: [toHex(answer)] });
    expect((await getComputeNode(client, worker.address)).record.successful).toBe("1");
  }, 30_000);

  test("a task id that is not a number is refused before any request", async () => {
    await expect(getComputeTask(client, "1; drop")).rejects.toThrow(/whole number/);
    await expect(getComputeTask(client, "424242")).rejects.toMatchObject({ status: 404 });
  });
});
