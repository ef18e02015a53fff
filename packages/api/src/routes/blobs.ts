// Encrypted blobs: anyone may upload bytes under their SHA-256 (they are ciphertext); a blob is
// served only to a signed request from the owner of the record pointing at it or from an account
// the consent decision allows, and every decision on a proven account is audited on chain.
import { join } from "node:path";
import { BttError } from "@btt/core";
import type { KVStore } from "@btt/modules";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { AuditSubmitter, loadOrCreateGatewayKey } from "../blobs/audit.ts";
import { holdsAssignment, resultBlobOf } from "../blobs/compute-access.ts";
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
    record: Type.Optional(
      Type.String({
        pattern: "^[A-Za-z0-9._:-]{1,128}$",
        description: "id of a record pointing at the blob",
      }),
    ),
    task: Type.Optional(
      Type.String({
        pattern: "^[0-9]{1,19}$",
        description: "id of a compute task whose revealed result blob this is (the task's requester only)",
      }),
    ),
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
type Purpose = NonNullable<Static<typeof FetchQuery>["purpose"]>;
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
  const { records, consent, compute } = node.ledger.app;

  /** Consent's decision, or the gateway's own (owner, compute); `reason` is what the audit records. */
  type Decision =
    | { readonly allowed: true; readonly rule: string }
    | { readonly allowed: false; readonly reason: { code: string; rule: string; detail: string } };

  /** The owner, a node assigned a slot computing on the record, or whoever consent allows. */
  function recordDecision(
    kv: KVStore,
    accessor: string,
    id: string | undefined,
    sha256: string,
    purpose: Purpose,
  ) {
    if (id === undefined)
      throw new BttError("INVALID_REQUEST", "name the record (?record=) or the task (?task=)");
    const record = records.keeper.record(kv, id);
    if (!record || record.blobSha256 !== sha256) {
      throw new BttError("NOT_FOUND", `no record ${id} points at blob ${sha256}`, { record: id });
    }
    const header = node.height > 0 ? node.ledger.blocks.header(node.height) : undefined;
    const decision: Decision =
      accessor === record.owner
        ? { allowed: true, rule: "owner" }
        : purpose === "treatment" && holdsAssignment(kv, compute.keeper, accessor, id)
          ? { allowed: true, rule: "compute.assignment" }
          : consent.keeper.accessDecision(kv, {
              grantee: accessor,
              patient: record.owner,
              dataClass: record.dataClass,
              purpose,
              recordId: id,
              atMs: header?.timeMs ?? 0n,
            });
    return { id, decision };
  }

  /** A task's result blob, for the task's requester only; audited against the shard's input record. */
  function resultDecision(kv: KVStore, accessor: string, taskId: bigint, sha256: string) {
    const found = resultBlobOf(kv, compute.keeper, taskId, sha256);
    if (!found)
      throw new BttError("NOT_FOUND", `task ${taskId} revealed no result blob ${sha256}`, {
        task: `${taskId}`,
      });
    const decision: Decision =
      accessor === found.task.requester
        ? { allowed: true, rule: "compute.result" }
        : {
            allowed: false,
            reason: {
              code: "NOT_REQUESTER",
              rule: "compute.result",
              detail: `only task ${taskId}'s requester reads its results`,
            },
          };
    return { id: found.recordId, decision };
  }

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
          "?record=<id>: the record's owner, an account its consent allows, or the compute node assigned an open slot " +
          "of a task on that record. ?task=<id>: a result blob the task's nodes revealed, for the task's requester. " +
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
      const purpose = request.query.purpose ?? "treatment";
      const kv = node.ledger.committed;
      const { id, decision } =
        request.query.task !== undefined
          ? resultDecision(kv, accessor, BigInt(request.query.task), sha256)
          : recordDecision(kv, accessor, request.query.record, sha256, purpose);
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
