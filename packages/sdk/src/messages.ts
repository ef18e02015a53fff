// Typed builders for every message the chain has, checked here with the chain's own rules so a bad
// address or amount fails before signing, naming the field. Encoding is @btt/modules' bankMsg.
import {
  BttError,
  coin,
  messageToJson as coreMessageToJson,
  decodeAddress,
  type JsonMsg,
  type Msg,
  MsgBurnSchema,
  MsgMintSchema,
  MsgMultiSendSchema,
  MsgSendSchema,
} from "@btt/core";
import { bankMsg, MAX_MULTISEND_OUTPUTS } from "@btt/modules/bank/builders";
import { type Amount, parseCoins, validateDenom } from "@btt/modules/bank/denoms";
import type { DescMessage } from "@bufbuild/protobuf";
import { type AmountInput, toBaseUnits } from "./amounts.ts";
import { COMPUTE_MESSAGE_SCHEMAS } from "./compute.ts";
import { PRIVACY_MESSAGE_SCHEMAS } from "./privacy.ts";
import { RECORDS_MESSAGE_SCHEMAS } from "./records.ts";
import { STAKING_MESSAGE_SCHEMAS } from "./staking.ts";

/** A coin given to a builder; with `decimals`, a string amount is in display units ("1.5"). */
export interface CoinInput {
  denom: string;
  amount: AmountInput;
  decimals?: number;
}

/** The protobuf schema of each message type, by type name: every message the chain handles. */
export const MESSAGE_SCHEMAS: ReadonlyMap<string, DescMessage> = new Map<string, DescMessage>([
  ["bank/Send", MsgSendSchema],
  ["bank/MultiSend", MsgMultiSendSchema],
  ["bank/Mint", MsgMintSchema],
  ["bank/Burn", MsgBurnSchema],
  ...PRIVACY_MESSAGE_SCHEMAS,
  ...RECORDS_MESSAGE_SCHEMAS,
  ...COMPUTE_MESSAGE_SCHEMAS,
  ...STAKING_MESSAGE_SCHEMAS,
]);

function coinsOf(input: CoinInput | readonly CoinInput[], what: string): Amount[] {
  const list: readonly CoinInput[] = Array.isArray(input) ? input : [input as CoinInput];
  const amounts = list.map((c, i) => {
    const at = list.length === 1 && !Array.isArray(input) ? what : `${what}[${i}]`;
    if (typeof c !== "object" || c === null) {
      throw new BttError("INVALID_AMOUNT", `${at} must be {denom, amount}`, { field: at });
    }
    validateDenom(c.denom);
    return { denom: c.denom, amount: toBaseUnits(c.amount, c.decimals, `${at}.amount`) };
  });
  // The chain wants coin lists sorted by denomination; sorting here lets callers list them any way.
  amounts.sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0));
  // The chain's own check: at least one coin, each positive, each denomination once.
  return parseCoins(
    amounts.map((a) => coin(a.denom, a.amount)),
    what,
  );
}

function oneCoin(input: CoinInput, what: string): Amount {
  if (Array.isArray(input)) throw new BttError("INVALID_AMOUNT", `${what} is a single coin`, { field: what });
  return coinsOf(input, what)[0]!;
}

function address(text: string, what: string): string {
  decodeAddress(text, what);
  return text;
}

/** Builders of the bank module's messages. */
export const bank = {
  /** Send coins from the transaction's sender to `to`. */
  send(p: { to: string; amount: CoinInput | readonly CoinInput[] }): Msg {
    return bankMsg.send(address(p.to, "to"), coinsOf(p.amount, "amount"));
  },
  /** Send to several accounts in one message (1 to 256 outputs). */
  multiSend(p: { outputs: ReadonlyArray<{ to: string; amount: CoinInput | readonly CoinInput[] }> }): Msg {
    if (!Array.isArray(p.outputs) || p.outputs.length === 0 || p.outputs.length > MAX_MULTISEND_OUTPUTS) {
      throw new BttError("INVALID_MESSAGE", `a multi-send has 1 to ${MAX_MULTISEND_OUTPUTS} outputs`, {
        field: "outputs",
      });
    }
    return bankMsg.multiSend(
      p.outputs.map((o, i) => ({
        to: address(o.to, `outputs[${i}].to`),
        amounts: coinsOf(o.amount, `outputs[${i}].amount`),
      })),
    );
  },
  /** Create coins for `to` (the sender must be a minter of the denomination). */
  mint(p: { to: string; amount: CoinInput }): Msg {
    return bankMsg.mint(address(p.to, "to"), oneCoin(p.amount, "amount"));
  },
  /** Destroy coins of the sender (the sender must be a minter of the denomination). */
  burn(p: { amount: CoinInput }): Msg {
    return bankMsg.burn(oneCoin(p.amount, "amount"));
  },
};

/** A message in the API's JSON form: `{type, value}` with proto field names, amounts as strings. */
export function messageToJson(m: Msg): JsonMsg {
  return coreMessageToJson(m, MESSAGE_SCHEMAS);
}
