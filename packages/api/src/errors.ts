// Every failure as `{code, message, details}` with the ledger's stable codes and an HTTP status.
// Fastify's own errors (validation, body parsing, limits) are translated here too, so a client
// never sees a stack trace or a 500 for input it sent.
import { BttError, type ErrorName } from "@btt/core";
import type { ErrorObject } from "ajv";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** HTTP status of each error code (anything missing is a 500). */
export const HTTP_STATUS: Record<ErrorName, number> = {
  OK: 200,
  TX_MALFORMED: 400,
  TX_TOO_LARGE: 413,
  UNKNOWN_MESSAGE: 400,
  WRONG_CHAIN_ID: 422,
  BAD_SIGNATURE: 422,
  MISSING_PUBLIC_KEY: 422,
  PUBLIC_KEY_MISMATCH: 422,
  NONCE_TOO_LOW: 409,
  NONCE_TOO_HIGH: 409,
  INSUFFICIENT_FUNDS: 422,
  INSUFFICIENT_FEE: 422,
  UNAUTHORIZED: 403,
  INVALID_AMOUNT: 400,
  INVALID_ADDRESS: 400,
  INVALID_MESSAGE: 400,
  UNKNOWN_DENOM: 400,
  DUPLICATE_TX: 409,
  MEMPOOL_FULL: 503,
  NOT_FOUND: 404,
  INVALID_GENESIS: 500,
  INVALID_PARAMS: 400,
  INTERNAL: 500,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  TIMEOUT: 504,
  ROUTE_NOT_FOUND: 404,
  INVALID_REQUEST: 400,
  NOT_READY: 503,
  HEIGHT_UNAVAILABLE: 404,
  CONFLICT: 409,
  INVALID_IMAGE: 422,
  MODEL_INTEGRITY: 500,
  COMMITMENT_MISMATCH: 422,
  DEADLINE_PASSED: 409,
};

export interface ApiErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function statusOf(code: ErrorName): number {
  return HTTP_STATUS[code] ?? 500;
}

/** `/body/fee/amount` → `body.fee.amount`, `/body/messages/0` → `body.messages[0]`. */
function fieldPath(context: string, instancePath: string): string {
  let out = context;
  for (const part of instancePath.split("/").slice(1)) {
    const name = part.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^[0-9]+$/.test(name) ? `[${name}]` : `.${name}`;
  }
  return out;
}

/** One readable sentence for a schema failure, naming the field. */
export function describeValidation(context: string, errors: readonly ErrorObject[]): BttError {
  // Of a union's errors, the union's own one (last) speaks for the value as a whole.
  const error =
    errors.find((e) => e.keyword === "discriminator") ??
    errors.find((e) => e.keyword === "oneOf" || e.keyword === "anyOf") ??
    errors.find((e) => e.keyword !== "if") ??
    errors[0]!;
  const field = fieldPath(context, error.instancePath);
  const params = error.params as Record<string, unknown>;
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  let message: string;
  let named = field;
  switch (error.keyword) {
    case "additionalProperties":
      named = `${field}.${params.additionalProperty}`;
      message = `${named} is not a known field`;
      break;
    case "required":
      named = `${field}.${params.missingProperty}`;
      message = `${named} is required`;
      break;
    case "discriminator":
      named = `${field}.${params.tag}`;
      message =
        params.error === "tag"
          ? `${named} is required and must be a string`
          : `${named} "${params.tagValue}" is not a known message type`;
      break;
    default:
      message = description ? `${field} must be ${description}` : `${field} ${error.message ?? "is invalid"}`;
  }
  return new BttError("INVALID_REQUEST", message, { field: named });
}

/** Fastify and plugin errors mapped to our codes. */
function fromFastify(err: FastifyError & { validationContext?: string }): BttError | undefined {
  if (err.validation) {
    const context = err.validationContext === "querystring" ? "query" : (err.validationContext ?? "request");
    return describeValidation(context, err.validation);
  }
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new BttError("PAYLOAD_TOO_LARGE", "request body is larger than the limit", {});
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new BttError(
        "INVALID_REQUEST",
        "unsupported content-type: send application/json (or application/octet-stream for raw tx bytes)",
        { field: "content-type" },
      );
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new BttError("INVALID_REQUEST", "request body is empty; a JSON body is required", {
        field: "body",
      });
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new BttError("INVALID_REQUEST", "content-length does not match the body", {
        field: "content-length",
      });
  }
  if (err.statusCode === 429) {
    return new BttError("RATE_LIMITED", err.message || "too many requests; slow down", {});
  }
  if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY") {
    return new BttError("INVALID_REQUEST", `request body is not valid JSON: ${err.message}`, {
      field: "body",
    });
  }
  if (err.statusCode === 413) return new BttError("PAYLOAD_TOO_LARGE", err.message, {});
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new BttError("INVALID_REQUEST", err.message, {});
  }
  return undefined;
}

/** The error body and status for anything a handler or Fastify threw. */
export function toApiError(err: unknown): { status: number; body: ApiErrorBody; internal: boolean } {
  let e: BttError | undefined;
  if (err instanceof BttError) e = err;
  else if (err && typeof err === "object" && "code" in err && isStateError(err)) e = fromStateError(err);
  else if (err instanceof Error) e = fromFastify(err as FastifyError);
  if (!e) {
    // Not something a client did: no detail leaves the server (it is logged).
    return {
      status: 500,
      body: { code: "INTERNAL", message: "internal error; see the node's log", details: {} },
      internal: true,
    };
  }
  const status = (err as { statusCode?: number }).statusCode === 415 ? 415 : statusOf(e.code);
  return {
    status,
    body: { code: e.code, message: e.message, details: e.details },
    internal: status >= 500 && e.code === "INTERNAL",
  };
}

interface StateErrorLike {
  name: string;
  code: string;
  message: string;
}

function isStateError(err: object): err is StateErrorLike {
  return (err as StateErrorLike).name === "StateError";
}

function fromStateError(err: StateErrorLike): BttError | undefined {
  switch (err.code) {
    case "VERSION_PRUNED":
    case "VERSION_UNKNOWN":
      return new BttError("HEIGHT_UNAVAILABLE", `no state at that height: ${err.message}`, {
        field: "height",
      });
    case "BAD_KEY":
      return new BttError("INVALID_REQUEST", `key is not a valid state key: ${err.message}`, {
        field: "key",
      });
    default:
      return undefined;
  }
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = toApiError(err);
    if (internal) request.log.error({ err }, "request failed");
    reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      code: "ROUTE_NOT_FOUND",
      message: `no route ${request.method} ${request.url.split("?")[0]}; see /openapi.json`,
      details: { method: request.method },
    });
  });
}
