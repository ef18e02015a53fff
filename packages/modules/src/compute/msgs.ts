import {
  addressBytes,
  BttError,
  type Hardware as HardwareMsg,
  MsgCommitResultSchema,
  MsgGrantInputSchema,
  MsgHeartbeatSchema,
  MsgNodeActionSchema,
  MsgOpenAuditSchema,
  MsgRegisterNodeSchema,
  MsgRevealResultSchema,
  MsgSubmitBenchmarkSchema,
  MsgSubmitTaskSchema,
  MsgUpdateNodeSchema,
  parseAmount,
} from "@btt/core";
import { isJurisdiction } from "../framework/jurisdictions.ts";
import { type MessageType, messageType } from "../framework/module.ts";
import type { ComputeKeeper } from "./keeper.ts";
import {
  checkHardware,
  heartbeat,
  type NodeAction,
  nodeAction,
  registerNode,
  submitBenchmark,
  updateNode,
} from "./registry.ts";
import { commitResult, grantInput, hex32, openAudit, revealResult, submitTask } from "./tasks.ts";
import { type Hardware, isUrgency } from "./types.ts";

const REGION = /^[a-z0-9-]{0,32}$/;
const RECORD_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_CAPACITY = 1024;

function hardware(h: HardwareMsg | undefined): Hardware {
  if (!h) throw new BttError("INVALID_MESSAGE", "hardware is required", { field: "hardware" });
  if (h.accelerator.length < 1 || h.accelerator.length > 64) {
    throw new BttError("INVALID_MESSAGE", "hardware.accelerator must be 1 to 64 characters", {
      field: "hardware.accelerator",
    });
  }
  const out: Hardware = {
    accelerator: h.accelerator,
    gpuCount: h.gpuCount,
    memoryGb: h.memoryGb,
    tflopsMilli: h.tflopsMilli,
    powerW: h.powerW,
    cpuCores: h.cpuCores,
  };
  checkHardware(out);
  return out;
}

function capacity(value: number): number {
  if (value < 1 || value > MAX_CAPACITY) {
    throw new BttError("INVALID_MESSAGE", `capacity must be from 1 to ${MAX_CAPACITY}`, {
      field: "capacity",
    });
  }
  return value;
}

function positive(text: string, field: string): bigint {
  const v = parseAmount(text, field);
  if (v === 0n) throw new BttError("INVALID_AMOUNT", `${field} must be positive`, { field });
  return v;
}

function optionalAmount(text: string, field: string): bigint {
  return text === "" ? 0n : parseAmount(text, field);
}

function key32(bytes: Uint8Array, field: string): string {
  return hex32(bytes, field);
}

function taskInputs(ids: readonly string[]): string[] {
  if (ids.length === 0) throw new BttError("INVALID_MESSAGE", "a task needs at least one input record");
  for (const id of ids) {
    if (!RECORD_ID.test(id))
      throw new BttError("INVALID_MESSAGE", `"${id}" is not a record id`, { record: id });
  }
  if (new Set(ids).size !== ids.length)
    throw new BttError("INVALID_MESSAGE", "input_record_ids repeat a record");
  return [...ids];
}

const ACTIONS: Record<string, NodeAction> = {
  "compute/PauseNode": "pause",
  "compute/ResumeNode": "resume",
  "compute/UnbondNode": "unbond",
  "compute/WithdrawNode": "withdraw",
  "compute/UnjailNode": "unjail",
};

export function computeMessages(keeper: ComputeKeeper): MessageType[] {
  const actions = Object.entries(ACTIONS).map(([type, action]) =>
    messageType({
      type,
      schema: MsgNodeActionSchema,
      validate(m) {
        addressBytes(m.worker, "worker");
      },
      execute(ctx, m) {
        nodeAction(keeper, ctx, ctx.sender, m.worker, action);
      },
    }),
  );
  return [
    messageType({
      type: "compute/RegisterNode",
      schema: MsgRegisterNodeSchema,
      validate(m) {
        addressBytes(m.worker, "worker");
        key32(m.encryptionKey, "encryption_key");
        hardware(m.hardware);
        if (!isJurisdiction(m.jurisdiction)) {
          throw new BttError("INVALID_MESSAGE", `"${m.jurisdiction}" is not an ISO 3166-1 alpha-2 code`);
        }
        if (!REGION.test(m.region)) throw new BttError("INVALID_MESSAGE", "region must be 0-32 of a-z 0-9 -");
        positive(m.bond, "bond");
        parseAmount(m.price, "price");
        capacity(m.capacity);
      },
      execute(ctx, m) {
        registerNode(keeper, ctx, ctx.sender, {
          worker: m.worker,
          encryptionKey: key32(m.encryptionKey, "encryption_key"),
          hardware: hardware(m.hardware),
          jurisdiction: m.jurisdiction,
          region: m.region,
          bond: positive(m.bond, "bond"),
          price: parseAmount(m.price, "price"),
          capacity: m.capacity,
        });
      },
    }),
    messageType({
      type: "compute/UpdateNode",
      schema: MsgUpdateNodeSchema,
      validate(m) {
        addressBytes(m.worker, "worker");
        if (m.price !== "") parseAmount(m.price, "price");
        if (m.capacity !== 0) capacity(m.capacity);
        optionalAmount(m.addBond, "add_bond");
        if (m.hardware) hardware(m.hardware);
      },
      execute(ctx, m) {
        updateNode(keeper, ctx, ctx.sender, m.worker, {
          ...(m.price !== "" ? { price: parseAmount(m.price, "price") } : {}),
          ...(m.capacity !== 0 ? { capacity: m.capacity } : {}),
          addBond: optionalAmount(m.addBond, "add_bond"),
          ...(m.hardware ? { hardware: hardware(m.hardware) } : {}),
        });
      },
    }),
    ...actions,
    messageType({
      type: "compute/Heartbeat",
      schema: MsgHeartbeatSchema,
      validate() {},
      execute(ctx) {
        heartbeat(keeper, ctx, ctx.sender);
      },
    }),
    messageType({
      type: "compute/SubmitBenchmark",
      schema: MsgSubmitBenchmarkSchema,
      validate(m) {
        if (m.resultSha256.length === 0 || m.resultSha256.length > 10_000) {
          throw new BttError("INVALID_MESSAGE", "result_sha256 must hold 1 to 10000 hashes");
        }
        for (const [i, h] of m.resultSha256.entries()) hex32(h, `result_sha256[${i}]`);
      },
      execute(ctx, m) {
        submitBenchmark(
          keeper,
          ctx,
          ctx.sender,
          m.resultSha256.map((h) => Buffer.from(h).toString("hex")),
        );
      },
    }),
    messageType({
      type: "compute/SubmitTask",
      schema: MsgSubmitTaskSchema,
      validate(m) {
        if (!m.modelId) throw new BttError("INVALID_MESSAGE", "model_id is required", { field: "model_id" });
        taskInputs(m.inputRecordIds);
        if (!isUrgency(m.urgency)) {
          throw new BttError(
            "INVALID_MESSAGE",
            `urgency must be stat, urgent or routine, not "${m.urgency}"`,
          );
        }
        if (m.deadlineBlocks < 1) {
          throw new BttError(
            "DEADLINE_PASSED",
            "deadline_blocks must be at least 1 (a deadline in the past)",
            {
              field: "deadline_blocks",
            },
          );
        }
        positive(m.maxFee, "max_fee");
        if (m.replication < 1) throw new BttError("INVALID_MESSAGE", "replication must be at least 1");
        if (m.minTier > 4) throw new BttError("INVALID_MESSAGE", "min_tier must be from 0 to 4");
        hex32(m.seal, "seal");
      },
      execute(ctx, m) {
        submitTask(keeper, ctx, ctx.sender, {
          modelId: m.modelId,
          modelVersion: m.modelVersion,
          inputs: taskInputs(m.inputRecordIds),
          urgency: m.urgency as "stat" | "urgent" | "routine",
          deadlineBlocks: BigInt(m.deadlineBlocks),
          maxFee: positive(m.maxFee, "max_fee"),
          replication: m.replication,
          minTier: m.minTier,
          seal: hex32(m.seal, "seal"),
        });
      },
    }),
    messageType({
      type: "compute/GrantInput",
      schema: MsgGrantInputSchema,
      validate(m) {
        key32(m.ephemeralPublicKey, "ephemeral_public_key");
        if (m.wrappedKey.length !== 48) throw new BttError("INVALID_MESSAGE", "wrapped_key must be 48 bytes");
        if (m.nonce.length !== 24) throw new BttError("INVALID_MESSAGE", "nonce must be 24 bytes");
      },
      execute(ctx, m) {
        grantInput(keeper, ctx, ctx.sender, m.taskId, m.shard, m.replica, {
          ephemeralPublicKey: Buffer.from(m.ephemeralPublicKey).toString("hex"),
          wrappedKey: Buffer.from(m.wrappedKey).toString("hex"),
          nonce: Buffer.from(m.nonce).toString("hex"),
        });
      },
    }),
    messageType({
      type: "compute/CommitResult",
      schema: MsgCommitResultSchema,
      validate(m) {
        hex32(m.commitment, "commitment");
      },
      execute(ctx, m) {
        commitResult(
          keeper,
          ctx,
          ctx.sender,
          m.taskId,
          m.shard,
          m.replica,
          hex32(m.commitment, "commitment"),
        );
      },
    }),
    messageType({
      type: "compute/RevealResult",
      schema: MsgRevealResultSchema,
      validate(m) {
        hex32(m.resultSha256, "result_sha256");
        if (m.salt.length < 16 || m.salt.length > 64) {
          throw new BttError("INVALID_MESSAGE", "salt must be 16 to 64 bytes");
        }
        if (m.resultBlob !== "" && !SHA256_HEX.test(m.resultBlob)) {
          throw new BttError("INVALID_MESSAGE", "result_blob must be a lowercase hex SHA-256");
        }
      },
      execute(ctx, m) {
        revealResult(keeper, ctx, ctx.sender, m.taskId, m.shard, m.replica, {
          resultSha256: m.resultSha256,
          salt: m.salt,
          resultBlob: m.resultBlob,
        });
      },
    }),
    messageType({
      type: "compute/OpenAudit",
      schema: MsgOpenAuditSchema,
      validate(m) {
        if (m.expectedSha256.length === 0) throw new BttError("INVALID_MESSAGE", "expected_sha256 is empty");
        for (const [i, h] of m.expectedSha256.entries()) hex32(h, `expected_sha256[${i}]`);
        if (m.salt.length < 16 || m.salt.length > 64) {
          throw new BttError("INVALID_MESSAGE", "salt must be 16 to 64 bytes");
        }
      },
      execute(ctx, m) {
        openAudit(keeper, ctx, ctx.sender, m.taskId, [...m.expectedSha256], m.salt);
      },
    }),
  ];
}
