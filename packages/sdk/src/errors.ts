// The SDK's typed errors. Bad input to a builder throws @btt/core's BttError (the ledger's own
// codes: INVALID_ADDRESS, INVALID_AMOUNT…); what comes back from a node throws one of these.

/** An error response of the API (`{code, message, details}` with its HTTP status), or no response. */
export class BttApiError extends Error {
  /** The API's stable code (the ledger's ErrorCode names, e.g. NONCE_TOO_LOW), or NETWORK_ERROR. */
  readonly code: string;
  readonly details: Record<string, unknown>;
  /** HTTP status; 0 when the request got no response. */
  readonly status: number;

  constructor(code: string, message: string, status: number, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "BttApiError";
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export type ProofFailure =
  /** A field of the response is missing or not in its format (hex, decimal string). */
  | "RESPONSE_MALFORMED"
  /** The proof's bytes are not a proof. */
  | "PROOF_MALFORMED"
  /** The proof does not prove this key and value against the app hash. */
  | "PROOF_INVALID"
  /** The response's key, value or amount disagree with what was asked or with each other. */
  | "RESPONSE_MISMATCH"
  /** The app hash proven against is not the one in the block header of that height. */
  | "APP_HASH_MISMATCH"
  /** The block header does not hash to the block's hash, or belongs to another height or chain. */
  | "HEADER_MISMATCH";

/** A query result the SDK refused: its proof, value or app hash does not check out. */
export class ProofError extends Error {
  readonly code: ProofFailure;
  readonly details: Record<string, unknown>;

  constructor(code: ProofFailure, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "ProofError";
    this.code = code;
    this.details = details;
  }
}

/** A transaction that was committed with a non-zero result code. */
export class TxFailedError extends Error {
  /** The ledger's error name (e.g. INSUFFICIENT_FUNDS). */
  readonly code: string;
  readonly codeNumber: number;
  readonly hash: string;
  readonly height: string | undefined;

  constructor(result: { hash: string; code: number; code_name: string; log: string; height?: string }) {
    super(`transaction ${result.hash} failed with ${result.code_name}: ${result.log}`);
    this.name = "TxFailedError";
    this.code = result.code_name;
    this.codeNumber = result.code;
    this.hash = result.hash;
    this.height = result.height;
  }
}

/** Waiting (for a transaction, a subscription) ran out of time. */
export class TimeoutError extends Error {
  readonly code = "TIMEOUT";

  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}
