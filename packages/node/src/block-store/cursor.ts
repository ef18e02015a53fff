// The opaque pagination cursor of BlockStore.txsOfAccount: base64url of two varints.
import { ByteReader, ByteWriter } from "./bytes.ts";

/** A position in an account's index: the entry last returned and the chunk that held it. */
export interface AccountCursor {
  seq: number;
  /** Chunk of that entry: 0 = head chunk, n ≥ 1 = archived chunk n. */
  chunk: number;
}

export function encodeCursor(c: AccountCursor): string {
  const w = new ByteWriter(16);
  w.varint(c.seq);
  w.varint(c.chunk);
  return Buffer.from(w.view()).toString("base64url");
}

/** Parses a cursor of encodeCursor; anything else throws RangeError("invalid cursor"). */
export function decodeCursor(cursor: string): AccountCursor {
  const bytes = Buffer.from(cursor, "base64url");
  try {
    const r = new ByteReader(bytes, "cursor");
    const c = { seq: r.varint(), chunk: r.varint() };
    if (r.done && bytes.toString("base64url") === cursor && c.chunk <= 0xffffffff) return c;
  } catch {
    // fall through to the error
  }
  throw new RangeError("invalid cursor");
}
