import type { CommittedReader } from "./store.ts";

/** Committed state held in memory: for tests, simulations and dry runs. */
export class MemoryState implements CommittedReader {
  private readonly entries = new Map<string, Uint8Array>();

  get(key: Uint8Array): Uint8Array | undefined {
    return this.entries.get(Buffer.from(key).toString("latin1"));
  }

  *iteratePrefix(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]> {
    const p = Buffer.from(prefix).toString("latin1");
    const ids = [...this.entries.keys()].filter((id) => id.startsWith(p)).sort();
    for (const id of ids) yield [Buffer.from(id, "latin1"), this.entries.get(id)!];
  }

  /** Applies a block's writes (undefined = delete). */
  apply(changes: Iterable<[Uint8Array, Uint8Array | undefined]>): void {
    for (const [key, value] of changes) {
      const id = Buffer.from(key).toString("latin1");
      if (value === undefined) this.entries.delete(id);
      else this.entries.set(id, value);
    }
  }
}
