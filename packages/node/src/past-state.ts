import { BttError } from "@btt/core";
import type { KVStore } from "@btt/modules";

/** The reads a past-state view needs from the authenticated state. */
export interface VersionedReader {
  getAt(key: Uint8Array, version: number): Uint8Array | undefined;
}

/**
 * The state as it was at a retained height, for queries "at height H". Point reads only: the
 * undo log rebuilds a key's old value, but there is no index to scan a prefix of the past.
 */
export class PastStateStore implements KVStore {
  constructor(
    private readonly reader: VersionedReader,
    readonly height: number,
  ) {}

  get(key: Uint8Array): Uint8Array | undefined {
    try {
      return this.reader.getAt(key, this.height);
    } catch (err) {
      throw new BttError(
        "HEIGHT_UNAVAILABLE",
        `state at height ${this.height} is no longer kept: ${(err as Error).message}`,
        {
          height: String(this.height),
        },
      );
    }
  }

  set(): void {
    throw new Error("past state is read-only");
  }

  delete(): void {
    throw new Error("past state is read-only");
  }

  iterate(): Iterable<[Uint8Array, Uint8Array]> {
    throw new BttError(
      "HEIGHT_UNAVAILABLE",
      "prefix scans of past state are not supported; ask at the latest height",
      {
        height: String(this.height),
      },
    );
  }
}
