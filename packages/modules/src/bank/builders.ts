import {
  coin,
  type Msg,
  MsgBurnSchema,
  MsgMintSchema,
  MsgMultiSendSchema,
  MsgSendSchema,
  msg,
} from "@btt/core";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Amount } from "./denoms.ts";

/** The most outputs a MultiSend may have. */
export const MAX_MULTISEND_OUTPUTS = 256;

const coins = (amounts: readonly Amount[]) => amounts.map((a) => coin(a.denom, a.amount));

/** Builders of the bank's tx messages, for wallets, the SDK, tests and benchmarks. */
export const bankMsg = {
  send(to: string, amounts: readonly Amount[]): Msg {
    return msg("bank/Send", toBinary(MsgSendSchema, create(MsgSendSchema, { to, amount: coins(amounts) })));
  },
  multiSend(outputs: ReadonlyArray<{ to: string; amounts: readonly Amount[] }>): Msg {
    const value = create(MsgMultiSendSchema, {
      outputs: outputs.map((o) => ({ to: o.to, amount: coins(o.amounts) })),
    });
    return msg("bank/MultiSend", toBinary(MsgMultiSendSchema, value));
  },
  mint(to: string, amount: Amount): Msg {
    const value = create(MsgMintSchema, { to, amount: coin(amount.denom, amount.amount) });
    return msg("bank/Mint", toBinary(MsgMintSchema, value));
  },
  burn(amount: Amount): Msg {
    return msg(
      "bank/Burn",
      toBinary(MsgBurnSchema, create(MsgBurnSchema, { amount: coin(amount.denom, amount.amount) })),
    );
  },
};
