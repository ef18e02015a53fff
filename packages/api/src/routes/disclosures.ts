// POST /v1/disclosures/verify: a verifier (an insurer, a clinic) hands the gateway a selective
// disclosure and learns whether its fields rebuild the root the record's owner committed on
// chain, read from this node's committed state. A disclosure that does not check out is an
// answer (verified: false, with the reason), not a request error.
import { BttError, type Disclosure, disclosureProblem, toHex } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { errorResponses } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

const Hex32 = Type.String({ pattern: "^[0-9a-f]{64}$", description: "32 bytes, lowercase hex" });
const RecordId = Type.String({ pattern: "^[A-Za-z0-9._:-]{1,128}$", description: "a record id" });

const DisclosureBody = Type.Object(
  {
    version: Type.Literal(1),
    root: Hex32,
    leaf_count: Type.Integer({ minimum: 1, maximum: 4096 }),
    disclosed: Type.Array(
      Type.Object(
        {
          index: Type.Integer({ minimum: 0 }),
          name: Type.String({ minLength: 1, maxLength: 128 }),
          value: Type.String({ maxLength: 65_536 }),
          salt: Hex32,
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 4096 },
    ),
    proof: Type.Array(Hex32, { maxItems: 4096 }),
    record_id: Type.Optional(RecordId),
  },
  { additionalProperties: false, description: "what `btt records disclose` writes" },
);

const VerifyBody = Type.Object(
  {
    record_id: Type.Optional(RecordId),
    disclosure: DisclosureBody,
  },
  { additionalProperties: false },
);

const VerifyResult = Type.Object({
  verified: Type.Boolean(),
  record_id: Type.String(),
  reason: Type.Optional(Type.String({ description: "why it does not verify" })),
  root: Type.String({ description: "the root committed on chain" }),
  fields: Type.Optional(Type.Record(Type.String(), Type.String())),
  leaf_count: Type.Integer(),
  height: Type.String({ description: "the committed height whose state held the root" }),
  app_hash: Type.String(),
});

export async function disclosureRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;
  const { records } = node.ledger.app;

  app.post<{ Body: Static<typeof VerifyBody> }>(
    "/disclosures/verify",
    {
      schema: {
        tags: ["records"],
        summary: "Check a selective disclosure against its record's committed root",
        description:
          "The record is record_id, else the disclosure's own record_id. 200 with verified: true and the " +
          "disclosed fields, or verified: false and the reason; 404 when the record or its root is missing.",
        body: VerifyBody,
        response: { 200: VerifyResult, ...errorResponses },
      },
    },
    async (request) => {
      const { disclosure } = request.body;
      const id = request.body.record_id ?? disclosure.record_id;
      if (id === undefined)
        throw new BttError("INVALID_REQUEST", "name the record: record_id", { field: "record_id" });
      if (node.height === 0)
        throw new BttError("NOT_READY", "the node has not committed its first block yet");
      // One read of the committed state: the height and app hash returned are the ones it held.
      const height = node.height;
      const appHash = toHex(node.ledger.appHash);
      const record = records.keeper.record(node.ledger.committed, id);
      if (!record) throw new BttError("NOT_FOUND", `no record ${id}`, { record: id });
      if (!record.disclosureRoot) {
        throw new BttError("NOT_FOUND", `record ${id} has no committed disclosure root`, { record: id });
      }
      const root = toHex(record.disclosureRoot);
      const problem = disclosureProblem(disclosure as Disclosure, root);
      const base = {
        record_id: id,
        root,
        leaf_count: disclosure.leaf_count,
        height: String(height),
        app_hash: appHash,
      };
      if (problem) return { verified: false, reason: problem, ...base };
      return {
        verified: true,
        fields: Object.fromEntries(disclosure.disclosed.map((f) => [f.name, f.value])),
        ...base,
      };
    },
  );
}
