import {
  type Msg,
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
  msg,
} from "@btt/core";
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import type { Hardware, Urgency } from "./types.ts";

function build<D extends DescMessage>(type: string, schema: D, init: MessageInitShape<D>): Msg {
  return msg(type, toBinary(schema, create(schema, init)));
}

const hardware = (h: Hardware) => ({ ...h });

/** Builders of the compute module's tx messages, for the SDK, the CLI, the worker and tests. */
export const computeMsg = {
  registerNode(m: {
    worker: string;
    encryptionKey: Uint8Array;
    hardware: Hardware;
    jurisdiction: string;
    region?: string;
    bond: bigint;
    price: bigint;
    capacity: number;
  }): Msg {
    return build("compute/RegisterNode", MsgRegisterNodeSchema, {
      worker: m.worker,
      encryptionKey: m.encryptionKey,
      hardware: hardware(m.hardware),
      jurisdiction: m.jurisdiction,
      region: m.region ?? "",
      bond: m.bond.toString(),
      price: m.price.toString(),
      capacity: m.capacity,
    });
  },
  updateNode(m: {
    worker: string;
    price?: bigint;
    capacity?: number;
    addBond?: bigint;
    hardware?: Hardware;
  }): Msg {
    return build("compute/UpdateNode", MsgUpdateNodeSchema, {
      worker: m.worker,
      price: m.price?.toString() ?? "",
      capacity: m.capacity ?? 0,
      addBond: m.addBond?.toString() ?? "",
      ...(m.hardware ? { hardware: hardware(m.hardware) } : {}),
    });
  },
  nodeAction(action: "pause" | "resume" | "unbond" | "withdraw" | "unjail", worker: string): Msg {
    const type = `compute/${action[0]!.toUpperCase()}${action.slice(1)}Node`;
    return build(type, MsgNodeActionSchema, { worker });
  },
  heartbeat(): Msg {
    return build("compute/Heartbeat", MsgHeartbeatSchema, {});
  },
  submitBenchmark(resultSha256: Uint8Array[]): Msg {
    return build("compute/SubmitBenchmark", MsgSubmitBenchmarkSchema, { resultSha256 });
  },
  submitTask(m: {
    modelId: string;
    modelVersion?: string;
    inputRecordIds: string[];
    urgency?: Urgency;
    deadlineBlocks: number;
    maxFee: bigint;
    replication?: number;
    minTier?: number;
    /** 32 bytes; random for an ordinary task (the SDK draws it). */
    seal: Uint8Array;
  }): Msg {
    return build("compute/SubmitTask", MsgSubmitTaskSchema, {
      modelId: m.modelId,
      modelVersion: m.modelVersion ?? "",
      inputRecordIds: m.inputRecordIds,
      urgency: m.urgency ?? "routine",
      deadlineBlocks: m.deadlineBlocks,
      maxFee: m.maxFee.toString(),
      replication: m.replication ?? 1,
      minTier: m.minTier ?? 0,
      seal: m.seal,
    });
  },
  grantInput(m: {
    taskId: bigint;
    shard: number;
    replica: number;
    ephemeralPublicKey: Uint8Array;
    wrappedKey: Uint8Array;
    nonce: Uint8Array;
  }): Msg {
    return build("compute/GrantInput", MsgGrantInputSchema, m);
  },
  commitResult(m: { taskId: bigint; shard: number; replica: number; commitment: Uint8Array }): Msg {
    return build("compute/CommitResult", MsgCommitResultSchema, m);
  },
  revealResult(m: {
    taskId: bigint;
    shard: number;
    replica: number;
    resultSha256: Uint8Array;
    salt: Uint8Array;
    resultBlob?: string;
  }): Msg {
    return build("compute/RevealResult", MsgRevealResultSchema, { ...m, resultBlob: m.resultBlob ?? "" });
  },
  openAudit(m: { taskId: bigint; expectedSha256: Uint8Array[]; salt: Uint8Array }): Msg {
    return build("compute/OpenAudit", MsgOpenAuditSchema, m);
  },
};
