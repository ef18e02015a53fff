import { BttError, decodeAddress } from "@btt/core";
import type { BttClient, StreamEvent, SubscribeOptions, Subscription } from "@btt/sdk";
import { connect, withNode } from "../client.ts";
import { emit, NODE_OPTION, nodeUrlOf } from "../context.ts";
import type { Command, Invocation } from "../router.ts";
import { blockLines } from "./query.ts";

const WATCH_OPTIONS = {
  count: { type: "string", value: "<n>", description: "stop after n events (default: until Ctrl-C)" },
  from: {
    type: "string",
    value: "<height>",
    description: "start at this height, replaying older blocks (default: the next block)",
  },
  ...NODE_OPTION,
} as const;

function positiveInt(text: string | undefined, option: string): bigint | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9][0-9]{0,18}$/.test(text))
    throw new BttError("INVALID_PARAMS", `--${option} "${text}" must be a positive whole number`);
  return BigInt(text);
}

/** Streams events over the node's WebSocket until `--count` is reached or Ctrl-C; resumes across reconnects. */
async function watch(
  { values }: Invocation,
  open: (client: BttClient, opts: SubscribeOptions) => Subscription,
  show: (e: StreamEvent) => void,
) {
  const count = positiveInt(values.count as string | undefined, "count");
  const from = positiveInt(values.from as string | undefined, "from");
  const url = nodeUrlOf(values);
  // One plain request first, so "no node" is an error rather than endless reconnecting.
  await withNode(url, (c) => c.status());
  const sub = open(connect(url), from ? { fromHeight: from } : {});
  const stop = () => sub.close();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  let seen = 0n;
  try {
    for await (const event of sub) {
      show(event);
      if (count !== undefined && ++seen >= count) break;
    }
  } finally {
    sub.close();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
}

const blocksCommand: Command = {
  name: "blocks",
  summary: "print blocks as they commit (WebSocket): height, time, txs, hash, app hash",
  options: WATCH_OPTIONS,
  run: (inv) =>
    watch(
      inv,
      (c, opts) => c.subscribe("blocks", undefined, opts),
      (e) => {
        if (e.type !== "block") return;
        emit(inv.values, e.block, blockLines(e.block));
      },
    ),
};

const txsCommand: Command = {
  name: "txs",
  summary: "print transaction results as they commit, optionally only an account's",
  options: {
    account: { type: "string", value: "<address>", description: "only txs this address sends or receives" },
    ...WATCH_OPTIONS,
  },
  run: (inv) => {
    const account = inv.values.account as string | undefined;
    if (account !== undefined) decodeAddress(account, "--account");
    return watch(
      inv,
      (c, opts) => c.subscribe("txs", account ? { account } : undefined, opts),
      (e) => {
        if (e.type !== "tx") return;
        const t = e.tx;
        emit(inv.values, t, `block ${e.height}  tx ${t.hash}  ${t.code === 0 ? "ok" : t.code_name}`);
      },
    );
  },
};

export const watchCommand: Command = {
  name: "watch",
  summary: "follow the chain live over the node's WebSocket",
  subcommands: [blocksCommand, txsCommand],
};
