export type StateErrorCode =
  | "VERSION_PRUNED"
  | "VERSION_UNKNOWN"
  | "BAD_VERSION"
  | "BAD_KEY"
  | "BAD_VALUE"
  | "DUPLICATE_KEY"
  | "STALE_PREPARE"
  | "NOT_IN_TRANSACTION"
  | "BAD_OPTIONS"
  | "CORRUPT";

export class StateError extends Error {
  readonly code: StateErrorCode;

  constructor(code: StateErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "StateError";
    this.code = code;
  }
}
