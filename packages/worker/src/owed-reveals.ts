// The reveals a worker owes: (result hash, salt, result blob) of every slot it is about to commit
// or has committed, one JSON file a slot in the state directory. Written (tmp + rename, then
// fsync'd) before the commit is sent, so a worker that restarts can still reveal what it committed.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface OwedReveal {
  taskId: string;
  shard: number;
  replica: number;
  /** SHA-256 of the canonical result, hex: what was committed to. */
  resultSha256: string;
  salt: string;
  /** SHA-256 of the uploaded encrypted result blob, hex; "" when the requester has no key. */
  resultBlob: string;
  /** When it was written (wall clock): entries older than an assignments listing that lacks them are stale. */
  savedAtMs: number;
}

export const slotKey = (s: { taskId: string; shard: number; replica: number }) =>
  `${s.taskId}-${s.shard}-${s.replica}`;

export class OwedReveals {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(key: string): string {
    return join(this.dir, `reveal-${key}.json`);
  }

  save(entry: OwedReveal): void {
    const file = this.file(slotKey(entry));
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entry)}\n`, { mode: 0o600, flush: true });
    renameSync(tmp, file);
  }

  delete(key: string): void {
    rmSync(this.file(key), { force: true });
  }

  /** Every owed reveal on disk (a torn .tmp file from a crash is ignored: its commit was never sent). */
  load(): Map<string, OwedReveal> {
    const out = new Map<string, OwedReveal>();
    for (const name of readdirSync(this.dir).sort()) {
      if (!name.startsWith("reveal-") || !name.endsWith(".json")) continue;
      const entry = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as OwedReveal;
      out.set(slotKey(entry), entry);
    }
    return out;
  }
}
