// Blocks by height and hash, the latest block, and the node's status.
import { BttError, fromHex, toHex } from "@btt/core";
import { blockHash } from "@btt/node";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { errorResponses, Hash, Height } from "../schemas.ts";
import type { ApiContext } from "../server.ts";
import { VERSION } from "../version.ts";
import { BlockSchema, blockJson } from "../views.ts";

const Status = Type.Object({
  chain_id: Type.String(),
  height: Type.String(),
  app_hash: Type.String(),
  latest_block_hash: Type.Union([Type.String(), Type.Null()]),
  latest_block_time_ms: Type.Union([Type.String(), Type.Null()]),
  peers: Type.Array(Type.String()),
  sync: Type.Object({ catching_up: Type.Boolean(), mode: Type.String() }),
  mempool: Type.Object({ txs: Type.Integer(), bytes: Type.Integer() }),
  version: Type.String(),
});

export async function blockRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node, feed } = ctx;
  const response = { response: { 200: BlockSchema, ...errorResponses } };

  const blockAt = (height: number) => {
    const facts = feed.at(height);
    if (!facts) {
      throw new BttError("NOT_FOUND", `no block at height ${height}; the latest is ${node.height}`, {
        height: String(height),
        latest: String(node.height),
      });
    }
    return facts.json();
  };

  app.get(
    "/blocks/latest",
    { schema: { tags: ["blocks"], summary: "The latest committed block", ...response } },
    async () => {
      if (node.height === 0) throw new BttError("NOT_FOUND", "no block has been committed yet", {});
      return blockAt(node.height);
    },
  );

  app.get<{ Params: { height: string } }>(
    "/blocks/:height",
    {
      schema: {
        tags: ["blocks"],
        summary: "A block by height, with its tx hashes and results",
        params: Type.Object({ height: Height }),
        ...response,
      },
    },
    async (request) => blockAt(Number(request.params.height)),
  );

  app.get<{ Params: { hash: string } }>(
    "/blocks/by-hash/:hash",
    {
      schema: {
        tags: ["blocks"],
        summary: "A block by its hash",
        params: Type.Object({ hash: Hash }),
        ...response,
      },
    },
    async (request) => {
      const block = node.ledger.blocks.blockByHash(fromHex(request.params.hash));
      if (!block) throw new BttError("NOT_FOUND", `no block with hash ${request.params.hash}`, {});
      return blockJson(block);
    },
  );

  let latestHash: { height: number; hash: string } | undefined;
  app.get(
    "/status",
    {
      schema: {
        tags: ["blocks"],
        summary: "Chain id, height, app hash, latest block, peers, sync state, mempool",
        response: { 200: Status, ...errorResponses },
      },
    },
    async () => {
      const height = node.height;
      const header = height > 0 ? node.ledger.blocks.header(height) : undefined;
      if (header && latestHash?.height !== height) latestHash = { height, hash: toHex(blockHash(header)) };
      return {
        chain_id: node.ledger.chainId,
        height: String(height),
        app_hash: toHex(node.ledger.appHash),
        latest_block_hash: header ? latestHash!.hash : null,
        latest_block_time_ms: header ? header.timeMs.toString() : null,
        peers: [],
        sync: { catching_up: false, mode: "solo" },
        mempool: { txs: node.mempool.size, bytes: node.mempool.sizeBytes },
        version: VERSION,
      };
    },
  );
}
