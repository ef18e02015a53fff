import { BttError, decodeAddress } from "@btt/core";
import { formatAmount, parseUserAmount } from "../amounts.ts";
import { withNode } from "../client.ts";
import { emit, homeOf, keyringOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import { keyringPassphrase } from "../keyring/passphrase.ts";
import type { Command } from "../router.ts";
import { denomsOf } from "./chain-data.ts";
import { computeTxCommand } from "./compute.ts";
import { consentTxCommand, identityTxCommand } from "./privacy.ts";
import { privateSendCommand } from "./private-payment.ts";
import { recordsTxCommand } from "./records.ts";
import { stakingTxCommand } from "./staking.ts";

const sendCommand: Command = {
  name: "send",
  summary: "send tokens from a keyring key to an address, and wait for the block",
  details:
    'Amounts are a number and a denomination: "5btt" or "2.5btt" (display units, up to the\n' +
    'denomination\'s decimals: 6 for BTT) or "5000000ubtt" (base units, whole numbers only).\n' +
    "The fee defaults to the smallest the chain's fee schedule accepts.",
  args: [
    { name: "from-key", description: "name of the sending key in the keyring" },
    { name: "to-address", description: "the recipient's btt1… address" },
    { name: "amount", description: "e.g. 5btt, 0.25btt or 5000000ubtt" },
  ],
  options: {
    fee: {
      type: "string",
      value: "<amount>",
      description: "fee to offer, e.g. 3000ubtt (default: the minimum)",
    },
    memo: { type: "string", value: "<text>", description: "a note stored with the transaction" },
    "no-wait": {
      type: "boolean",
      description: "return once the node accepts the tx, without waiting for its block",
    },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, to, amountText] = args as [string, string, string];
    // Everything that can be checked offline is checked before the passphrase is asked.
    checkKeyName(from);
    decodeAddress(to, "to-address");
    const keyring = keyringOf(homeOf(values));
    const key = keyring.get(from);
    const url = nodeUrlOf(values);
    await withNode(url, async (client) => {
      const denoms = await denomsOf(client);
      const amount = parseUserAmount(amountText, denoms);
      const fee = values.fee === undefined ? undefined : parseUserAmount(values.fee as string, denoms, "fee");
      const passphrase = await keyringPassphrase({ key: from, creating: false });
      const { signer } = await keyring.unlock(from, passphrase);
      const wait = !values["no-wait"];
      const result = await client.sendTokens(
        signer,
        to,
        { denom: amount.denom, amount: amount.amount },
        {
          wait,
          ...(fee ? { fee } : {}),
          ...(values.memo !== undefined ? { memo: values.memo as string } : {}),
        },
      );
      if (wait && result.height === undefined)
        throw new BttError("INTERNAL", `the node did not say where ${result.hash} went`);
      const shown = formatAmount(amount.amount, amount.denom, denoms);
      emit(
        values,
        {
          hash: result.hash,
          from: key.address,
          to,
          amount: { denom: amount.denom, amount: amount.amount.toString() },
          committed: wait,
          ...(wait ? { height: result.height, code: result.code, code_name: result.code_name } : {}),
        },
        wait
          ? [
              `Sent ${shown} from ${from} (${key.address}) to ${to}`,
              `tx ${result.hash} committed in block ${result.height}`,
            ]
          : [
              `Submitted: ${shown} from ${from} to ${to}`,
              `tx ${result.hash} (see it with btt query tx ${result.hash})`,
            ],
      );
    });
  },
};

export const txCommand: Command = {
  name: "tx",
  summary: "sign and send transactions",
  subcommands: [
    { name: "bank", summary: "bank transactions", subcommands: [sendCommand, privateSendCommand] },
    identityTxCommand,
    consentTxCommand,
    recordsTxCommand,
    computeTxCommand,
    stakingTxCommand,
  ],
};
