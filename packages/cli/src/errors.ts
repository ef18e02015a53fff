import { toBttError } from "@btt/core";

/** Wrong use of the command line (unknown option, missing argument): exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The one line `btt` prints for any failure, and its exit status: never a stack trace. */
export function describeFailure(err: unknown): { line: string; status: number } {
  const message = err instanceof UsageError ? err.message : toBttError(err).message;
  const oneLine = message.replace(/\s*\n\s*/g, " ").trim() || "unknown error";
  return { line: `btt: ${oneLine}`, status: err instanceof UsageError ? 2 : 1 };
}
