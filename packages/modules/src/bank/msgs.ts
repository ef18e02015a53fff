import {
  addressBytes,
  BttError,
  decodeMsgSendCanonical,
  MsgBurnSchema,
  MsgMintSchema,
  MsgMultiSendSchema,
  MsgSendSchema,
} from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import { messageType, type TxContext } from "../framework/module.ts";
import { MAX_MULTISEND_OUTPUTS } from "./builders.ts";
import { type Amount, formatCoins, parseCoins } from "./denoms.ts";
import type { BankKeeper } from "./keeper.ts";
import type { BankParamsStore } from "./params.ts";

export function bankMessages(keeper: BankKeeper, params: BankParamsStore) {
  const requireSendEnabled = (ctx: TxContext) => {
    if (!params.read(ctx.kv).sendEnabled)
      throw new BttError("UNAUTHORIZED", "transfers are disabled by governance");
  };
  const requireMinter = (ctx: TxContext, { denom }: Amount) => {
    if (!keeper.isMinter(ctx.kv, denom, ctx.sender)) {
      throw new BttError("UNAUTHORIZED", `${ctx.sender} may not mint or burn ${denom}`, {
        denom,
        account: ctx.sender,
      });
    }
  };

  return [
    messageType({
      type: "bank/Send",
      schema: MsgSendSchema,
      decodeCanonical: decodeMsgSendCanonical,
      validate(m) {
        addressBytes(m.to, "to");
        parseCoins(m.amount);
      },
      execute(ctx, m) {
        requireSendEnabled(ctx);
        keeper.send(ctx, ctx.sender, m.to, parseCoins(m.amount));
      },
    }),
    messageType({
      type: "bank/MultiSend",
      schema: MsgMultiSendSchema,
      validate(m) {
        if (m.outputs.length === 0 || m.outputs.length > MAX_MULTISEND_OUTPUTS) {
          throw new BttError("INVALID_MESSAGE", `a multi-send has 1 to ${MAX_MULTISEND_OUTPUTS} outputs`);
        }
        m.outputs.forEach((o, i) => {
          addressBytes(o.to, `outputs[${i}].to`);
          parseCoins(o.amount, `outputs[${i}].amount`);
        });
      },
      execute(ctx, m) {
        requireSendEnabled(ctx);
        for (const o of m.outputs) keeper.send(ctx, ctx.sender, o.to, parseCoins(o.amount));
      },
    }),
    messageType({
      type: "bank/Mint",
      schema: MsgMintSchema,
      validate(m) {
        addressBytes(m.to, "to");
        if (!m.amount) throw new BttError("INVALID_AMOUNT", "mint has no amount");
        parseCoins([m.amount]);
      },
      execute(ctx, m) {
        const [amount] = parseCoins([m.amount!]) as [Amount];
        requireMinter(ctx, amount);
        keeper.mint(ctx, m.to, amount);
        ctx.emit(
          ledgerEvent("bank/mint", { minter: ctx.sender, recipient: m.to, amount: formatCoins([amount]) }),
        );
      },
    }),
    messageType({
      type: "bank/Burn",
      schema: MsgBurnSchema,
      validate(m) {
        if (!m.amount) throw new BttError("INVALID_AMOUNT", "burn has no amount");
        parseCoins([m.amount]);
      },
      execute(ctx, m) {
        const [amount] = parseCoins([m.amount!]) as [Amount];
        requireMinter(ctx, amount);
        keeper.burn(ctx, ctx.sender, amount);
        ctx.emit(ledgerEvent("bank/burn", { burner: ctx.sender, amount: formatCoins([amount]) }));
      },
    }),
  ];
}
