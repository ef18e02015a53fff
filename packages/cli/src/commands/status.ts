import { toHex } from "@btt/core";
import { connect, isUnreachable } from "../client.ts";
import { emit, homeOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import type { Command } from "../router.ts";

export const statusCommand: Command = {
  name: "status",
  summary: "the chain's height and app hash: from the running node, else from the home directory",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    const url = nodeUrlOf(values);
    try {
      const s = await connect(url).status();
      emit(values, { source: url, ...s }, [
        `chain ${s.chain_id} at height ${s.height}, app hash ${s.app_hash}`,
        `node ${url}, mempool ${s.mempool.txs} txs`,
      ]);
      return;
    } catch (err) {
      if (!isUnreachable(err) || values.node) throw err;
    }
    // No node answers: read the chain from disk (the node is stopped, or runs without an API).
    const home = homeOf(values);
    const { openHomeNode } = await import("@btt/node");
    const { node, genesis } = openHomeNode(home, { verifyThreads: 0 });
    const out = {
      source: home,
      chain_id: genesis.chain_id,
      height: String(node.height),
      app_hash: toHex(node.ledger.appHash),
    };
    await node.close();
    emit(
      values,
      out,
      `chain ${out.chain_id} at height ${out.height}, app hash ${out.app_hash} (from ${home}; no node at ${url})`,
    );
  },
};
