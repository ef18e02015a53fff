/**
 * Stable error codes of the ledger. The numbers go into tx results (and ABCI
 * responses), the names into API errors; neither may change once released.
 */
export const ErrorCode = {
  OK: 0,
  TX_MALFORMED: 1,
  TX_TOO_LARGE: 2,
  UNKNOWN_MESSAGE: 3,
  WRONG_CHAIN_ID: 4,
  BAD_SIGNATURE: 5,
  MISSING_PUBLIC_KEY: 6,
  PUBLIC_KEY_MISMATCH: 7,
  NONCE_TOO_LOW: 8,
  NONCE_TOO_HIGH: 9,
  INSUFFICIENT_FUNDS: 10,
  INSUFFICIENT_FEE: 11,
  UNAUTHORIZED: 12,
  INVALID_AMOUNT: 13,
  INVALID_ADDRESS: 14,
  INVALID_MESSAGE: 15,
  UNKNOWN_DENOM: 16,
  DUPLICATE_TX: 17,
  MEMPOOL_FULL: 18,
  NOT_FOUND: 19,
  INVALID_GENESIS: 20,
  INVALID_PARAMS: 21,
  INTERNAL: 22,
  // API gateway (HTTP and WebSocket requests).
  /** Request body or WebSocket message over the size limit. */
  PAYLOAD_TOO_LARGE: 23,
  RATE_LIMITED: 24,
  /** Waited for something (a tx's commit) longer than allowed. */
  TIMEOUT: 25,
  ROUTE_NOT_FOUND: 26,
  /** A request that does not match its schema: malformed JSON, wrong types, unknown fields. */
  INVALID_REQUEST: 27,
  /** The node cannot serve yet (starting, or shutting down). */
  NOT_READY: 28,
  /** A state height outside the retained window (pruned, or not committed yet). */
  HEIGHT_UNAVAILABLE: 29,
  // Identity, consent and compliance.
  /** The thing to create exists already, or the thing to change is no longer in a state that allows it. */
  CONFLICT: 30,
  // AI diagnostics.
  /** An input file that cannot be analysed: not DICOM or an image, truncated, unsupported encoding, wrong size. */
  INVALID_IMAGE: 31,
  /** A model file whose SHA-256 differs from the pinned hash, or that breaks its card's contract. */
  MODEL_INTEGRITY: 32,
  // Compute network.
  /** A reveal that does not open its commitment, or a seal that does not open. */
  COMMITMENT_MISMATCH: 33,
  /** An action after its deadline (a commit or reveal too late), or with a deadline already past. */
  DEADLINE_PASSED: 34,
} as const;

export type ErrorName = keyof typeof ErrorCode;
export type ErrorNumber = (typeof ErrorCode)[ErrorName];

const namesByNumber = new Map<number, ErrorName>(
  Object.entries(ErrorCode).map(([name, num]) => [num, name as ErrorName]),
);

export function errorName(code: number): ErrorName | "UNKNOWN" {
  return namesByNumber.get(code) ?? "UNKNOWN";
}

/** An error the ledger reports to a user: a stable code, a message saying what was wrong, details. */
export class BttError extends Error {
  readonly code: ErrorName;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorName, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = "BttError";
    this.code = code;
    this.details = details;
  }

  get codeNumber(): number {
    return ErrorCode[this.code];
  }
}

/** Any thrown value as a BttError; unexpected errors become INTERNAL. */
export function toBttError(err: unknown): BttError {
  if (err instanceof BttError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BttError("INTERNAL", message);
}
