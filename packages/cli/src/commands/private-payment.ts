// `btt tx bank private-send` and `btt query private`: a payment whose amount is public and whose
// details are readable only by the two parties and the regulators the chain's view-key rules name.
// The chain says who must be able to read it (records/private_payment_viewers); each reader's
// published X25519 key wraps the details' key; the chain refuses a payment that leaves one out.
import { existsSync, readFileSync } from "node:fs";
import { BttError, decodeAddress } from "@btt/core";
import { encryptionKeyFromSeed, type PrivatePaymentJson, privatePayment, type Reader } from "@btt/sdk";
import { formatAmount, parseUserAmount } from "../amounts.ts";
import { withNode } from "../client.ts";
import { emit, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import type { Command } from "../router.ts";
import { denomsOf } from "./chain-data.ts";
import { publishedKey, unlockKey } from "./records.ts";

/** --details is JSON text, or @file for a JSON file. */
function detailsOf(text: string | undefined): unknown {
  if (text === undefined) throw new BttError("INVALID_PARAMS", "private-send needs --details <json|@file>");
  let source = text;
  if (text.startsWith("@")) {
    const file = text.slice(1);
    if (!existsSync(file)) throw new BttError("NOT_FOUND", `no file ${file}`, { file });
    source = readFileSync(file, "utf8");
  }
  try {
    return JSON.parse(source);
  } catch (err) {
    throw new BttError("INVALID_PARAMS", `--details is not JSON: ${(err as Error).message}`);
  }
}

export const privateSendCommand: Command = {
  name: "private-send",
  summary: "pay an address with details (invoice lines, codes) only the parties and regulators can read",
  details:
    "The amount moves like bank send and is public. --details (JSON, or @file) is encrypted here\n" +
    "(XChaCha20-Poly1305) and its key wrapped for you, the recipient and every regulator the\n" +
    "compliance view_keys rules require for the parties' jurisdictions; each must have published\n" +
    "an encryption key (btt tx records set-key). Read it back with btt query private <tx-hash>.",
  args: [
    { name: "from-key", description: "the payer's key in the keyring" },
    { name: "to-address", description: "the payee's btt1… address" },
    { name: "amount", description: "e.g. 5btt or 5000000ubtt" },
  ],
  options: {
    details: { type: "string", value: "<json|@file>", description: "the private details (required)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, to, amountText] = args as [string, string, string];
    checkKeyName(from);
    decodeAddress(to, "to-address");
    const details = detailsOf(values.details as string | undefined);
    await withNode(nodeUrlOf(values), async (client) => {
      const denoms = await denomsOf(client);
      const amount = parseUserAmount(amountText, denoms);
      const { signer, seed } = await unlockKey(values, from);
      const viewers = (await client.query("records", "private_payment_viewers", {
        from: signer.address,
        to,
      })) as { regulators: string[]; rules: string[] };
      const readers: Reader[] = [
        { address: signer.address, publicKey: encryptionKeyFromSeed(seed).publicKey },
      ];
      for (const address of [to, ...viewers.regulators]) {
        if (address !== signer.address)
          readers.push({ address, publicKey: await publishedKey(client, address) });
      }
      const { msg } = privatePayment.build({
        from: signer.address,
        to,
        amount: { denom: amount.denom, amount: amount.amount },
        details,
        readers,
      });
      const result = await client.signAndSubmit(signer, [msg], { wait: true });
      const shown = formatAmount(amount.amount, amount.denom, denoms);
      emit(
        values,
        {
          hash: result.hash,
          height: result.height,
          code_name: result.code_name,
          from: signer.address,
          to,
          amount: { denom: amount.denom, amount: amount.amount.toString() },
          readers: readers.map((r) => r.address).sort(),
          view_rules: viewers.rules,
        },
        [
          `Sent ${shown} privately from ${from} (${signer.address}) to ${to}`,
          `  readable by ${readers.map((r) => r.address).join(", ")}`,
          ...(viewers.rules.length > 0 ? [`  view-key rules ${viewers.rules.join(", ")}`] : []),
          `tx ${result.hash} committed in block ${result.height}`,
        ],
      );
    });
  },
};

export const privateQueryCommand: Command = {
  name: "private",
  summary: "decrypt a private payment's details with a keyring key (a party's or a regulator's)",
  details:
    "Fails unless the chain holds a private payment for the tx and a key is wrapped for --key;\n" +
    "the details are checked against the payment's on-chain commitment before they are printed.",
  args: [{ name: "tx-hash", description: "the private-send transaction's hash" }],
  options: {
    key: { type: "string", value: "<name>", description: "the reader's key in the keyring (required)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [hash] = args as [string];
    const name = values.key as string | undefined;
    if (!name) throw new BttError("INVALID_PARAMS", "query private needs --key <name>");
    checkKeyName(name);
    await withNode(nodeUrlOf(values), async (client) => {
      const r = (await client.query("records", "private_payment", { tx_hash: hash })) as {
        private_payment: PrivatePaymentJson | null;
      };
      const payment = r.private_payment;
      if (!payment) throw new BttError("NOT_FOUND", `no private payment in tx ${hash}`);
      const { signer, seed } = await unlockKey(values, name);
      const opened = privatePayment.open(payment, signer.address, encryptionKeyFromSeed(seed));
      const details = opened.json ?? Buffer.from(opened.details).toString("base64");
      emit(
        values,
        {
          tx_hash: payment.tx_hash,
          sender: payment.sender,
          to: payment.to,
          amount: payment.amount,
          height: payment.height,
          reader: signer.address,
          commitment: payment.commitment,
          details,
        },
        [
          `Private payment ${payment.tx_hash} (block ${payment.height})`,
          `  ${payment.sender} → ${payment.to}  ${payment.amount}`,
          `  read by ${name} (${signer.address}); commitment ${payment.commitment} opens`,
          `  details ${JSON.stringify(details, null, 2).replace(/\n/g, "\n  ")}`,
        ],
      );
    });
  },
};
