// What survives a restart: owed reveals written atomically, read back by a fresh store, a torn
// temporary file ignored, and an entry gone once deleted.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type OwedReveal, OwedReveals, slotKey } from "../src/owed-reveals.ts";

describe("owed reveals on disk", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-owed-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const entry = (taskId: string, replica: number): OwedReveal => ({
    taskId,
    shard: 0,
    replica,
    resultSha256: "ab".repeat(32),
    salt: "cd".repeat(32),
    resultBlob: "",
    savedAtMs: 1,
  });

  it("a new store (a restarted worker) loads what the old one saved, and forgets deleted ones", () => {
    const before = new OwedReveals(dir);
    before.save(entry("7", 0));
    before.save(entry("7", 1));
    before.save({ ...entry("7", 1), salt: "ef".repeat(32) }); // overwritten, not duplicated
    writeFileSync(join(dir, "reveal-9-0-0.json.tmp"), "{torn"); // a crash mid-write
    const after = new OwedReveals(dir).load();
    expect([...after.keys()]).toEqual(["7-0-0", "7-0-1"]);
    expect(after.get("7-0-1")!.salt).toBe("ef".repeat(32));
    before.delete(slotKey(entry("7", 0)));
    expect([...new OwedReveals(dir).load().keys()]).toEqual(["7-0-1"]);
  });
});
