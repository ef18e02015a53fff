import {
  coin,
  type Msg,
  MsgConfirmFindingSchema,
  MsgDeprecateVersionSchema,
  MsgPublishVersionSchema,
  MsgRegisterModelSchema,
  msg,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";

/** Builders of the ai module's tx messages, for the SDK, the CLI and tests. */
export const aiMsg = {
  registerModel(m: {
    modelId: string;
    task: string;
    modalities: string[];
    description?: string;
    pricePerTask?: { denom: string; amount: bigint };
  }): Msg {
    const value = create(MsgRegisterModelSchema, {
      modelId: m.modelId,
      task: m.task,
      modalities: m.modalities,
      description: m.description ?? "",
      ...(m.pricePerTask ? { pricePerTask: coin(m.pricePerTask.denom, m.pricePerTask.amount) } : {}),
    });
    return msg("ai/RegisterModel", toBinary(MsgRegisterModelSchema, value));
  },
  publishVersion(v: {
    modelId: string;
    version: string;
    sha256: string;
    cardSha256: string;
    uri?: string;
    sizeBytes: bigint;
  }): Msg {
    const value = create(MsgPublishVersionSchema, { ...v, uri: v.uri ?? "" });
    return msg("ai/PublishVersion", toBinary(MsgPublishVersionSchema, value));
  },
  deprecateVersion(modelId: string, version: string, reason: string): Msg {
    return msg(
      "ai/DeprecateVersion",
      toBinary(MsgDeprecateVersionSchema, create(MsgDeprecateVersionSchema, { modelId, version, reason })),
    );
  },
  /** A licensed practitioner's verdict on finding `findingIndex` (0-based) of a report. */
  confirmFinding(v: {
    reportId: string;
    findingIndex: number;
    confirmed: boolean;
    modelId: string;
    modelVersion: string;
  }): Msg {
    return msg("ai/ConfirmFinding", toBinary(MsgConfirmFindingSchema, create(MsgConfirmFindingSchema, v)));
  },
};
