// GET /v1/state/{module}/{key}: a raw state entry with its Merkle proof against a block's app hash.
import { BttError, fromHex, toHex } from "@btt/core";
import { moduleKey } from "@btt/modules";
import { MAX_STATE_KEY_LEN } from "@btt/state";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { errorResponses, Height, ModuleName } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

const StateQuery = Type.Object({ height: Type.Optional(Height) }, { additionalProperties: false });

const StateEntry = Type.Object({
  module: Type.String(),
  key: Type.String({ description: "the key inside the module's prefix, hex" }),
  state_key: Type.String({
    description: 'the full state key ("<module>/" + key), hex: what the proof proves',
  }),
  value: Type.Union([Type.String(), Type.Null()], { description: "hex; null = absent (exclusion proof)" }),
  height: Type.String(),
  app_hash: Type.String({ description: "the app hash of the block at `height`, which the proof is against" }),
  proof: Type.String({ description: "@btt/state encodeProof, hex" }),
});

export async function stateRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;
  app.get<{ Params: { module: string; key: string }; Querystring: Static<typeof StateQuery> }>(
    "/state/:module/:key",
    {
      schema: {
        tags: ["state"],
        summary: "A state entry of a module with its inclusion or exclusion proof",
        description:
          "Verify with @btt/state verifyProof(app_hash, state_key, value, decodeProof(proof)); app_hash is in " +
          "the header of the block at `height`. Heights older than the node's retained window: 404 HEIGHT_UNAVAILABLE.",
        params: Type.Object({
          module: ModuleName,
          key: Type.String({
            pattern: "^([0-9a-f]{2}){1,200}$",
            description: "the key inside the module's prefix in lower-case hex (1 to 200 bytes)",
          }),
        }),
        querystring: StateQuery,
        response: { 200: StateEntry, ...errorResponses },
      },
    },
    async (request) => {
      const { module, key } = request.params;
      if (!node.ledger.app.modules.some((m) => m.name === module)) {
        throw new BttError("NOT_FOUND", `no module "${module}"`, { field: "params.module" });
      }
      const full = moduleKey(module, fromHex(key));
      if (full.length > MAX_STATE_KEY_LEN) {
        throw new BttError("INVALID_REQUEST", `params.key is longer than a state key can be`, {
          field: "params.key",
        });
      }
      const latest = node.height;
      const height = request.query.height === undefined ? latest : Number(request.query.height);
      if (height > latest || latest === 0) {
        throw new BttError(
          "HEIGHT_UNAVAILABLE",
          `height ${height} is not committed yet; the latest is ${latest}`,
          {
            field: "query.height",
            latest: String(latest),
          },
        );
      }
      const p = node.ledger.prove(full, height);
      return {
        module,
        key,
        state_key: toHex(full),
        value: p.value ? toHex(p.value) : null,
        height: String(p.height),
        app_hash: toHex(p.appHash),
        proof: toHex(p.proof),
      };
    },
  );
}
