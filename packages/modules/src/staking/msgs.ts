import {
  addressBytes,
  BttError,
  MsgCreateValidatorSchema,
  MsgDelegateSchema,
  MsgEditValidatorSchema,
  MsgRedelegateSchema,
  MsgSetComplianceRatingSchema,
  MsgUndelegateSchema,
  MsgUnjailSchema,
  parseAmount,
} from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import { messageType } from "../framework/module.ts";
import type { IdentityKeeper } from "../identity/keeper.ts";
import type { Description, StakingKeeper } from "./keeper.ts";
import { PPM } from "./params.ts";
import type { Slashing } from "./slashing.ts";

const MAX_DESCRIPTION = { moniker: 70, website: 140, details: 280 };

function description(d: { moniker: string; website: string; details: string } | undefined): Description {
  const out = { moniker: d?.moniker ?? "", website: d?.website ?? "", details: d?.details ?? "" };
  for (const field of ["moniker", "website", "details"] as const) {
    if (out[field].length > MAX_DESCRIPTION[field]) {
      throw new BttError("INVALID_MESSAGE", `description.${field} is longer than ${MAX_DESCRIPTION[field]}`);
    }
  }
  return out;
}

/** A positive amount of the bond denomination. */
function positive(text: string, field: string): bigint {
  const amount = parseAmount(text, field);
  if (amount === 0n) throw new BttError("INVALID_AMOUNT", `${field} must be positive`);
  return amount;
}

function ppm(value: number, field: string): bigint {
  const v = BigInt(value);
  if (v > PPM) throw new BttError("INVALID_MESSAGE", `${field} is above 1000000 (100%)`, { field });
  return v;
}

export function stakingMessages(keeper: StakingKeeper, slashing: Slashing, identity: IdentityKeeper) {
  return [
    messageType({
      type: "staking/CreateValidator",
      schema: MsgCreateValidatorSchema,
      validate(m) {
        if (m.consensusPubkey.length !== 32) {
          throw new BttError("INVALID_MESSAGE", "consensus_pubkey must be a 32-byte Ed25519 key");
        }
        description(m.description);
        const rate = ppm(m.commissionRatePpm, "commission_rate_ppm");
        const max = ppm(m.commissionMaxRatePpm, "commission_max_rate_ppm");
        const change = ppm(m.commissionMaxChangePpm, "commission_max_change_ppm");
        if (rate > max) {
          throw new BttError("INVALID_MESSAGE", `commission rate ${rate} is above its maximum ${max}`, {
            reason: "commission_above_max",
          });
        }
        if (change > max)
          throw new BttError("INVALID_MESSAGE", "commission_max_change_ppm is above the maximum rate");
        positive(m.selfDelegation, "self_delegation");
      },
      execute(ctx, m) {
        keeper.createValidator(
          ctx,
          {
            operator: ctx.sender,
            consensusPubkey: Buffer.from(m.consensusPubkey).toString("hex"),
            description: description(m.description),
            commissionRatePpm: BigInt(m.commissionRatePpm),
            commissionMaxRatePpm: BigInt(m.commissionMaxRatePpm),
            commissionMaxChangePpm: BigInt(m.commissionMaxChangePpm),
          },
          positive(m.selfDelegation, "self_delegation"),
        );
      },
    }),
    messageType({
      type: "staking/EditValidator",
      schema: MsgEditValidatorSchema,
      validate(m) {
        description(m.description);
        if (m.setCommissionRate) ppm(m.commissionRatePpm, "commission_rate_ppm");
      },
      execute(ctx, m) {
        const v = keeper.validator(ctx.kv, ctx.sender);
        if (!v)
          throw new BttError("NOT_FOUND", `${ctx.sender} operates no validator`, { validator: ctx.sender });
        let rate = v.commissionRatePpm;
        if (m.setCommissionRate) {
          rate = BigInt(m.commissionRatePpm);
          if (rate > v.commissionMaxRatePpm) {
            throw new BttError(
              "INVALID_MESSAGE",
              `commission rate ${rate} is above its maximum ${v.commissionMaxRatePpm}`,
              { reason: "commission_above_max" },
            );
          }
          const change = rate > v.commissionRatePpm ? rate - v.commissionRatePpm : v.commissionRatePpm - rate;
          if (change > v.commissionMaxChangePpm) {
            throw new BttError(
              "INVALID_MESSAGE",
              `commission may change by at most ${v.commissionMaxChangePpm} at once, not ${change}`,
              { reason: "commission_change_above_max" },
            );
          }
        }
        // An edit without a description keeps the old one.
        const d = m.description ? description(m.description) : v.description;
        keeper.setValidator(ctx.kv, { ...v, description: d, commissionRatePpm: rate });
        ctx.emit(
          ledgerEvent("staking/edit_validator", {
            validator: ctx.sender,
            commission_rate_ppm: rate.toString(),
          }),
        );
      },
    }),
    messageType({
      type: "staking/Delegate",
      schema: MsgDelegateSchema,
      validate(m) {
        addressBytes(m.validator, "validator");
        positive(m.amount, "amount");
      },
      execute(ctx, m) {
        keeper.delegate(ctx, m.validator, ctx.sender, positive(m.amount, "amount"));
      },
    }),
    messageType({
      type: "staking/Undelegate",
      schema: MsgUndelegateSchema,
      validate(m) {
        addressBytes(m.validator, "validator");
        positive(m.amount, "amount");
      },
      execute(ctx, m) {
        keeper.undelegate(ctx, m.validator, ctx.sender, positive(m.amount, "amount"));
      },
    }),
    messageType({
      type: "staking/Redelegate",
      schema: MsgRedelegateSchema,
      validate(m) {
        addressBytes(m.srcValidator, "src_validator");
        addressBytes(m.dstValidator, "dst_validator");
        if (m.srcValidator === m.dstValidator) {
          throw new BttError("INVALID_MESSAGE", "src_validator and dst_validator are the same", {
            reason: "same_validator",
          });
        }
        positive(m.amount, "amount");
      },
      execute(ctx, m) {
        keeper.redelegate(ctx, ctx.sender, m.srcValidator, m.dstValidator, positive(m.amount, "amount"));
      },
    }),
    messageType({
      type: "staking/Unjail",
      schema: MsgUnjailSchema,
      validate() {},
      execute(ctx) {
        slashing.unjail(ctx, ctx.sender);
      },
    }),
    messageType({
      type: "staking/SetComplianceRating",
      schema: MsgSetComplianceRatingSchema,
      validate(m) {
        addressBytes(m.validator, "validator");
        ppm(m.ratingPpm, "rating_ppm");
      },
      execute(ctx, m) {
        if (!identity.hasValidCredential(ctx.kv, ctx.sender, "regulator", { atMs: ctx.block.timeMs })) {
          throw new BttError("UNAUTHORIZED", `${ctx.sender} holds no valid regulator credential`, {
            account: ctx.sender,
            reason: "not_regulator",
          });
        }
        keeper.setRating(ctx, m.validator, BigInt(m.ratingPpm));
        ctx.emit(
          ledgerEvent("staking/set_rating", {
            validator: m.validator,
            issuer: ctx.sender,
            rating_ppm: m.ratingPpm.toString(),
          }),
        );
      },
    }),
  ];
}
