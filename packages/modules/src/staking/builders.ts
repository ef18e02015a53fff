import {
  type Msg,
  MsgCreateValidatorSchema,
  MsgDelegateSchema,
  MsgEditValidatorSchema,
  MsgRedelegateSchema,
  MsgSetComplianceRatingSchema,
  MsgUndelegateSchema,
  MsgUnjailSchema,
  msg,
} from "@btt/core";
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";

/** Builders of the staking module's tx messages, for wallets, the SDK, tests and benchmarks. */
export const stakingMsg = {
  createValidator(value: MessageInitShape<typeof MsgCreateValidatorSchema>): Msg {
    return msg(
      "staking/CreateValidator",
      toBinary(MsgCreateValidatorSchema, create(MsgCreateValidatorSchema, value)),
    );
  },
  editValidator(value: MessageInitShape<typeof MsgEditValidatorSchema>): Msg {
    return msg(
      "staking/EditValidator",
      toBinary(MsgEditValidatorSchema, create(MsgEditValidatorSchema, value)),
    );
  },
  delegate(validator: string, amount: bigint): Msg {
    const value = create(MsgDelegateSchema, { validator, amount: amount.toString() });
    return msg("staking/Delegate", toBinary(MsgDelegateSchema, value));
  },
  undelegate(validator: string, amount: bigint): Msg {
    const value = create(MsgUndelegateSchema, { validator, amount: amount.toString() });
    return msg("staking/Undelegate", toBinary(MsgUndelegateSchema, value));
  },
  redelegate(srcValidator: string, dstValidator: string, amount: bigint): Msg {
    const value = create(MsgRedelegateSchema, { srcValidator, dstValidator, amount: amount.toString() });
    return msg("staking/Redelegate", toBinary(MsgRedelegateSchema, value));
  },
  unjail(): Msg {
    return msg("staking/Unjail", toBinary(MsgUnjailSchema, create(MsgUnjailSchema, {})));
  },
  setComplianceRating(validator: string, ratingPpm: number): Msg {
    const value = create(MsgSetComplianceRatingSchema, { validator, ratingPpm });
    return msg("staking/SetComplianceRating", toBinary(MsgSetComplianceRatingSchema, value));
  },
};
