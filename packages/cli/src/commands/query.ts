import { BttError, decodeAddress } from "@btt/core";
import { type BlockJson, ProofError } from "@btt/sdk";
import { formatAmount } from "../amounts.ts";
import { withNode } from "../client.ts";
import { emit, NODE_OPTION, nodeUrlOf } from "../context.ts";
import type { Command } from "../router.ts";
import { denomsOf } from "./chain-data.ts";
import { consentQueryCommand, identityQueryCommand } from "./privacy.ts";
import { privateQueryCommand } from "./private-payment.ts";
import { recordsQueryCommand } from "./records.ts";
import { stakingQueryCommand } from "./staking.ts";

const balanceCommand: Command = {
  name: "balance",
  summary: "an account's balance, verified: Merkle proof → app hash → block header",
  details:
    "The SDK checks the balance's Merkle proof against the app hash, and the app hash against the\n" +
    "header of the block it belongs to (whose hash it recomputes); a balance that does not check\n" +
    "out is an error, never printed.",
  args: [{ name: "address", description: "a btt1… address" }],
  options: {
    denom: {
      type: "string",
      value: "<denom>",
      description: "denomination, base or display (default: ubtt)",
      default: "ubtt",
    },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [address] = args as [string];
    decodeAddress(address);
    await withNode(nodeUrlOf(values), async (client) => {
      const denoms = await denomsOf(client);
      const asked = values.denom as string;
      const meta =
        denoms.find((d) => d.denom === asked) ??
        denoms.find((d) => d.display.toLowerCase() === asked.toLowerCase());
      if (!meta) {
        throw new BttError("UNKNOWN_DENOM", `--denom "${asked}" is not a denomination of this chain`, {
          denom: asked,
        });
      }
      const b = await client.balance(address, meta.denom).catch((err: unknown) => {
        if (err instanceof ProofError) {
          throw new BttError(
            "INVALID_MESSAGE",
            `refused the node's answer: it does not verify (${err.code}: ${err.message})`,
            {
              proof: err.code,
            },
          );
        }
        throw err;
      });
      emit(
        values,
        {
          address,
          denom: b.denom,
          amount: b.amount.toString(),
          verified: true,
          height: b.height.toString(),
          app_hash: b.appHash,
          block_hash: b.blockHash,
        },
        [
          `${formatAmount(b.amount, b.denom, denoms)} (${b.amount}${b.denom}) at ${address}`,
          `verified: Merkle proof checked against app hash ${b.appHash}`,
          `          of block ${b.height} (header hash ${b.blockHash} recomputed)`,
        ],
      );
    });
  },
};

export function blockLines(b: BlockJson): string[] {
  const time = new Date(Number(b.header.time_ms)).toISOString();
  const failed = b.tx_results.filter((r) => r.code !== 0).length;
  return [
    `block ${b.height}  ${time}  ${b.tx_hashes.length} tx${b.tx_hashes.length === 1 ? "" : "s"}${failed ? ` (${failed} failed)` : ""}`,
    `  hash      ${b.hash}`,
    `  app hash  ${b.header.app_hash}`,
    ...b.tx_hashes.map((h, i) => `  tx ${h} ${b.tx_results[i]?.code_name ?? ""}`.trimEnd()),
  ];
}

const blockCommand: Command = {
  name: "block",
  summary: "a block by height, or the latest",
  args: [{ name: "height", description: 'a height, or "latest" (default)', optional: true }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const which = args[0] ?? "latest";
    if (which !== "latest" && !/^[1-9][0-9]{0,18}$/.test(which)) {
      throw new BttError("INVALID_PARAMS", `height "${which}" must be a positive whole number or "latest"`);
    }
    const b = await withNode(nodeUrlOf(values), (c) =>
      c.block(which === "latest" ? "latest" : BigInt(which)),
    );
    emit(values, b, blockLines(b));
  },
};

const txCommand: Command = {
  name: "tx",
  summary: "a transaction by hash: its status, block, result and events",
  args: [{ name: "hash", description: "the tx hash (64 hex digits)" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [hash] = args as [string];
    if (!/^[0-9a-fA-F]{64}$/.test(hash))
      throw new BttError("INVALID_PARAMS", `tx hash "${hash}" must be 64 hex digits`);
    const t = await withNode(nodeUrlOf(values), (c) => c.tx(hash));
    const lines =
      t.status === "pending"
        ? [`tx ${t.hash}: pending (in the mempool)`]
        : [
            `tx ${t.hash}: ${t.code === 0 ? "committed" : `failed with ${t.code_name}`} in block ${t.height} (index ${t.index})`,
            ...(t.log ? [`  log     ${t.log}`] : []),
            `  fee     ${t.fee}${(t.tx as { body?: { fee?: { denom?: string } } } | undefined)?.body?.fee?.denom ?? ""}`,
            ...(t.events ?? []).map(
              (e) => `  event   ${e.type} ${e.attributes.map((a) => `${a.key}=${a.value}`).join(" ")}`,
            ),
          ];
    emit(values, t, lines);
  },
};

const accountCommand: Command = {
  name: "account",
  summary: "an account: balances, next nonce, key type",
  args: [{ name: "address", description: "a btt1… address" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [address] = args as [string];
    decodeAddress(address);
    await withNode(nodeUrlOf(values), async (client) => {
      const [a, denoms] = await Promise.all([client.account(address), denomsOf(client)]);
      emit(values, a, [
        `account   ${a.address}`,
        `key type  ${a.key_type ?? "(none yet: the key is recorded with the account's first tx)"}`,
        `nonce     ${a.nonce}`,
        ...(a.balances.length === 0
          ? ["balance   0"]
          : a.balances.map(
              (c) => `balance   ${formatAmount(BigInt(c.amount), c.denom, denoms)} (${c.amount}${c.denom})`,
            )),
      ]);
    });
  },
};

export const queryCommand: Command = {
  name: "query",
  summary: "read the chain through a node's API",
  subcommands: [
    { name: "bank", summary: "bank queries", subcommands: [balanceCommand] },
    blockCommand,
    txCommand,
    accountCommand,
    identityQueryCommand,
    consentQueryCommand,
    recordsQueryCommand,
    privateQueryCommand,
    stakingQueryCommand,
  ],
};
