import {
  MsgConfirmFindingSchema,
  MsgDeprecateVersionSchema,
  MsgPublishVersionSchema,
  MsgRegisterModelSchema,
} from "@btt/core";
import { parseCoins } from "../bank/denoms.ts";
import { messageType } from "../framework/module.ts";
import type { AiKeeper } from "./keeper.ts";
import {
  checkFindingIndex,
  checkModalities,
  checkModelId,
  checkReportId,
  checkSha256,
  checkTask,
  checkText,
  checkVersion,
} from "./types.ts";

export function aiMessages(keeper: AiKeeper) {
  return [
    messageType({
      type: "ai/RegisterModel",
      schema: MsgRegisterModelSchema,
      validate(m) {
        checkModelId(m.modelId);
        checkTask(m.task);
        checkModalities(m.modalities);
        checkText(m.description, "description");
        if (m.pricePerTask) parseCoins([m.pricePerTask], "price_per_task");
      },
      execute(ctx, m) {
        keeper.register(ctx, {
          id: m.modelId,
          owner: ctx.sender,
          task: m.task,
          modalities: [...m.modalities],
          description: m.description,
          ...(m.pricePerTask
            ? { price_per_task: { denom: m.pricePerTask.denom, amount: m.pricePerTask.amount } }
            : {}),
          registered_at_ms: ctx.block.timeMs.toString(),
        });
      },
    }),
    messageType({
      type: "ai/PublishVersion",
      schema: MsgPublishVersionSchema,
      validate(m) {
        checkModelId(m.modelId);
        checkVersion(m.version);
        checkSha256(m.sha256, "sha256");
        checkSha256(m.cardSha256, "card_sha256");
        checkText(m.uri, "uri");
      },
      execute(ctx, m) {
        keeper.publish(ctx, ctx.sender, {
          model_id: m.modelId,
          version: m.version,
          sha256: m.sha256,
          card_sha256: m.cardSha256,
          uri: m.uri,
          size_bytes: m.sizeBytes.toString(),
        });
      },
    }),
    messageType({
      type: "ai/DeprecateVersion",
      schema: MsgDeprecateVersionSchema,
      validate(m) {
        checkModelId(m.modelId);
        checkVersion(m.version);
        checkText(m.reason, "reason", 256);
      },
      execute(ctx, m) {
        keeper.deprecate(ctx, ctx.sender, m.modelId, m.version, m.reason);
      },
    }),
    messageType({
      type: "ai/ConfirmFinding",
      schema: MsgConfirmFindingSchema,
      validate(m) {
        checkReportId(m.reportId);
        checkFindingIndex(m.findingIndex);
        checkModelId(m.modelId);
        checkVersion(m.modelVersion, "model_version");
      },
      execute(ctx, m) {
        keeper.confirmFinding(ctx, {
          report_id: m.reportId,
          finding_index: m.findingIndex,
          confirmed: m.confirmed,
          model_id: m.modelId,
          model_version: m.modelVersion,
        });
      },
    }),
  ];
}
