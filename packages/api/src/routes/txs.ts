// POST /v1/txs (binary, base64 or JSON; optionally wait for the commit), GET /v1/txs/{hash}.
import { BttError, fromHex, sha256, toHex } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { encodeJsonTx, type JsonTx, jsonTxSchema, txToJson } from "../json-tx.ts";
import { errorResponses, Hash, TxResultView } from "../schemas.ts";
import type { ApiContext } from "../server.ts";
import { storedTxJson, TxSchema, txResultJson } from "../views.ts";

const TxBytesBody = Type.Object(
  {
    tx_bytes: Type.String({
      pattern: "^[A-Za-z0-9+/]+={0,2}$",
      maxLength: 200_000,
      description: "the canonical tx bytes in base64",
    }),
  },
  { additionalProperties: false, title: "TxBytes" },
);

const Accepted = Type.Object({ hash: Hash });
const Committed = Type.Object({
  hash: Hash,
  height: Type.String(),
  index: Type.Integer(),
  ...TxResultView.properties,
});

export async function txRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node, types, waiters, opts } = ctx;
  const jsonTx = jsonTxSchema(types);
  const SubmitQuery = Type.Object(
    {
      wait: Type.Optional(
        Type.Union([Type.Literal("none"), Type.Literal("commit")], {
          description: '"commit" (wait for the block) or "none"',
        }),
      ),
      timeout_ms: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: opts.maxWaitMs,
          description: `an integer of milliseconds from 1 to ${opts.maxWaitMs}`,
        }),
      ),
    },
    { additionalProperties: false },
  );

  // Raw tx bytes; the node decodes them strictly.
  app.addContentTypeParser("application/octet-stream", { parseAs: "buffer" }, (_req, body, done) =>
    done(null, body),
  );

  app.post<{ Body: Buffer | Static<typeof TxBytesBody> | JsonTx; Querystring: Static<typeof SubmitQuery> }>(
    "/txs",
    {
      schema: {
        tags: ["txs"],
        summary: "Submit a transaction",
        description:
          "Body: the raw canonical tx bytes (application/octet-stream), `{tx_bytes: base64}`, or a JSON tx, " +
          "which the server encodes canonically (same bytes, same hash). Admitted → 202 {hash}. " +
          "With ?wait=commit → 200 with the tx's result once its block is committed (code ≠ 0: committed but failed), " +
          "504 TIMEOUT if it is not committed in time. Rejected by the mempool → the ledger's error.",
        querystring: SubmitQuery,
        body: {
          content: {
            "application/json": {
              schema: {
                if: { type: "object", required: ["tx_bytes"] },
                // biome-ignore lint/suspicious/noThenProperty: JSON Schema keyword
                then: TxBytesBody,
                else: jsonTx,
              },
            },
            "application/octet-stream": { schema: { type: "string", format: "binary" } },
          },
        },
        response: { 200: Committed, 202: Accepted, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      let bytes: Uint8Array;
      if (Buffer.isBuffer(body)) bytes = body;
      else if (typeof body !== "object" || body === null) {
        throw new BttError("INVALID_REQUEST", "body must be a JSON object or raw tx bytes", {
          field: "body",
        });
      } else if ("tx_bytes" in body) bytes = Buffer.from(body.tx_bytes, "base64");
      else bytes = encodeJsonTx(body, types);
      if (bytes.length === 0)
        throw new BttError("TX_MALFORMED", "body is empty: expected tx bytes", { field: "body" });

      if (request.query.wait !== "commit") {
        const hash = await node.submit(bytes);
        reply.code(202);
        return { hash };
      }
      const hash = toHex(sha256(bytes));
      const waiting = waiters.wait(hash, request.query.timeout_ms ?? opts.defaultWaitMs);
      try {
        await node.submit(bytes);
      } catch (err) {
        waiting.cancel();
        throw err;
      }
      const { facts, index } = await waiting.promise;
      const result = facts.block.results.txResults[index]!;
      return { hash, height: String(facts.height), index, ...txResultJson(result) };
    },
  );

  app.get<{ Params: { hash: string } }>(
    "/txs/:hash",
    {
      schema: {
        tags: ["txs"],
        summary: "A transaction by hash: committed (with its result) or pending",
        params: Type.Object({ hash: Hash }),
        response: { 200: TxSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { hash } = request.params;
      const stored = node.ledger.blocks.tx(fromHex(hash));
      if (stored) return storedTxJson(stored, types);
      const pending = node.mempool.get(hash);
      if (pending) return { hash, status: "pending", tx: txToJson(pending.tx, types) };
      throw new BttError("NOT_FOUND", `no transaction ${hash} (neither committed nor pending)`, { hash });
    },
  );
}
