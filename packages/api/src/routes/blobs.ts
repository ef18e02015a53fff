// Encrypted blobs: anyone may upload bytes under their SHA-256 (they are ciphertext); a blob is
// served only to a signed request from the owner of the record pointing at it or from an account
// the consent decision allows, and every decision on a proven account is audited on chain.
import { join } from "node:path";
import { BttError } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { AuditSubmitter, loadOrCreateGatewayKey } from "../blobs/audit.ts";
import { ReplayWindow, verifySignedRequest } from "../blobs/signed-request.ts";
import { FsBlobStore } from "../blobs/store.ts";
import { errorResponses } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

export const DEFAULT_MAX_BLOB_BYTES = 16 * 1024 * 1024;

const HashParam = Type.Object({
  hash: Type.String({
    pattern: "^[0-9a-f]{64}$",
    description: "SHA-256 of the blob's bytes, lowercase hex",
  }),
});
const FetchQuery = Type.Object(
  {
    record: Type.String({
      pattern: "^[A-Za-z0-9._:-]{1,128}$",
      description: "id of a record pointing at the blob",
    }),
    purpose: Type.Optional(
      Type.Union(
        [
          Type.Literal("treatment"),
          Type.Literal("payment"),
          Type.Literal("research"),
          Type.Literal("insurance"),
        ],
        {
          description: "why the caller asks (consent purpose); default treatment",
        },
      ),
    ),
  },
  { additionalProperties: false },
);
const Stored = Type.Object({ sha256: Type.String(), size: Type.Integer(), created: Type.Boolean() });

export async function blobRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;
  const opts = ctx.opts.blobs ?? {};
  const store = opts.store ?? new FsBlobStore(join(node.opts.dataDir, "blobs"));
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BLOB_BYTES;
  const replay = new ReplayWindow();
  const audit = new AuditSubmitter(
    node,
    () => opts.gatewayKey ?? loadOrCreateGatewayKey(join(node.opts.dataDir, "gateway_key.json")),
  );
  const { records, consent } = node.ledger.app;

  app.put<{ Params: Static<typeof HashParam>; Body: Buffer }>(
    "/blobs/:hash",
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ["blobs"],
        summary: "Store an encrypted blob under its SHA-256",
        description:
          "Body: the blob's bytes (application/octet-stream, client-side encrypted). They must hash to the name " +
          "(else 400 INVALID_REQUEST); 413 above the size limit. Storing the same blob again is a no-op.",
        params: HashParam,
        response: { 200: Stored, 201: Stored, ...errorResponses },
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body))
        throw new BttError("INVALID_REQUEST", "send the blob as application/octet-stream", {
          field: "content-type",
        });
      const { created } = await store.put(request.params.hash, new Uint8Array(body));
      return reply
        .code(created ? 201 : 200)
        .send({ sha256: request.params.hash, size: body.length, created });
    },
  );

  app.get<{ Params: Static<typeof HashParam>; Querystring: Static<typeof FetchQuery> }>(
    "/blobs/:hash",
    {
      schema: {
        tags: ["blobs"],
        summary: "Fetch an encrypted blob (signed request; owner or consented grantee only)",
        description:
          "Headers x-btt-address, x-btt-key-type, x-btt-public-key, x-btt-timestamp (ms), x-btt-nonce, x-btt-signature " +
          "over `btt/blob-request/v1\\nGET\\n<path with query>\\n<timestamp>\\n<nonce>` (SDK: signedRequestHeaders). " +
          "403 UNAUTHORIZED for a bad signature, a clock skew above 60 s, a replayed nonce, or a refused access. " +
          "Each decision on a proven account is submitted as a records/Access audit tx by the gateway's key.",
        params: HashParam,
        querystring: FetchQuery,
        response: {
          200: { content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const accessor = verifySignedRequest(request.headers, "GET", request.url, replay);
      const sha256 = request.params.hash;
      const id = request.query.record;
      const purpose = request.query.purpose ?? "treatment";
      const kv = node.ledger.committed;
      const record = records.keeper.record(kv, id);
      if (!record || record.blobSha256 !== sha256) {
        throw new BttError("NOT_FOUND", `no record ${id} points at blob ${sha256}`, { record: id });
      }
      const header = node.height > 0 ? node.ledger.blocks.header(node.height) : undefined;
      const decision =
        accessor === record.owner
          ? ({ allowed: true, rule: "owner" } as const)
          : consent.keeper.accessDecision(kv, {
              grantee: accessor,
              patient: record.owner,
              dataClass: record.dataClass,
              purpose,
              recordId: id,
              atMs: header?.timeMs ?? 0n,
            });
      // The audit entry goes in before any byte goes out: no record, no bytes.
      let auditTx: string;
      try {
        auditTx = await audit.submit({
          id,
          accessor,
          allowed: decision.allowed,
          purpose,
          code: decision.allowed ? "" : decision.reason.code,
          reason: decision.allowed ? decision.rule : decision.reason.detail,
        });
      } catch (err) {
        request.log.error({ err }, "audit entry refused");
        throw new BttError("NOT_READY", "the access could not be recorded on chain; try again later");
      }
      reply.header("x-btt-audit-tx", auditTx);
      if (!decision.allowed) {
        throw new BttError("UNAUTHORIZED", `access refused: ${decision.reason.detail}`, {
          code: decision.reason.code,
          rule: decision.reason.rule,
          audit_tx: auditTx,
        });
      }
      const bytes = await store.get(sha256);
      if (!bytes) throw new BttError("NOT_FOUND", `blob ${sha256} is not stored on this gateway`, { sha256 });
      return reply
        .type("application/octet-stream")
        .header("cache-control", "no-store")
        .send(Buffer.from(bytes));
    },
  );
}
