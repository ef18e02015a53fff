// State-sync snapshots: the chunked encoding round-trips, is deterministic, and a restore
// rebuilds a ledger that goes on exactly like its source; tampered chunks and lying metadata
// are refused with the ABCI outcomes CometBFT expects.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeTx, sha256, toHex } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { decodeProof, verifyProof } from "@btt/state";
import { afterAll, describe, expect, it } from "vitest";
import { Ledger } from "../src/ledger.ts";
import {
  chunkOf,
  decodeMetadata,
  encodeMetadata,
  encodeSnapshot,
  type SnapshotInfo,
  SnapshotRestorer,
  SnapshotStore,
  snapshotHash,
  takeSnapshot,
} from "../src/snapshot/index.ts";
import { signedTx, testChain } from "./helpers.ts";

const tx = (bytes: Uint8Array) => ({ decoded: decodeTx(bytes), signatureVerified: false });
const CHUNK = 512;

describe("state-sync snapshots", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-snapshot-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const { genesis, validator, accounts } = testChain(3);
  const [alice, bob] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
  let n = 0;
  const ledger = () => new Ledger({ dataDir: join(dir, `l${n++}`), genesis, keepRecent: 3 });

  /** A source ledger at height 4 with a transfer in block 2, and its snapshot in a store. */
  function source() {
    const l = ledger();
    l.commitBlock([], 1000n, validator.address);
    l.commitBlock(
      [tx(signedTx(alice, 0n, [bankMsg.send(bob.address, [{ denom: "ubtt", amount: 77n }])]))],
      2000n,
      validator.address,
    );
    for (const t of [3000n, 4000n]) l.commitBlock([], t, validator.address);
    const store = new SnapshotStore(join(dir, `snaps${n}`), 2);
    const taken = takeSnapshot(l, store, CHUNK);
    const info = store.list()[0]!;
    return { l, store, taken, info };
  }

  const chunksOf = (store: SnapshotStore, info: SnapshotInfo) =>
    Array.from({ length: info.chunks }, (_, i) => store.loadChunk(info.height, info.format, i)!);

  it("round-trips: the restored ledger has the height, app hash, balances and proofs, and goes on alike", async () => {
    const { l, store, taken, info } = source();
    expect(taken.height).toBe(4);
    expect(info.chunks).toBeGreaterThan(3);
    // Deterministic: the same state encodes to the same bytes and hash.
    const again = encodeSnapshot(l.blocks.block(4)!, l.state.iteratePrefix(new Uint8Array(0)), CHUNK);
    expect(toHex(again.hash)).toBe(toHex(info.hash));
    expect(toHex(encodeMetadata(again.metadata))).toBe(toHex(info.metadata));

    const target = ledger();
    const restorer = new SnapshotRestorer(target);
    expect(restorer.offer(info, l.appHash).result).toBe("accept");
    const chunks = chunksOf(store, info);
    chunks.forEach((c, i) => {
      expect(restorer.apply(i, c, "peer").result, `chunk ${i}`).toBe("accept");
    });
    expect(restorer.restoredHeight).toBe(4);
    expect(target.height).toBe(4);
    expect(toHex(target.appHash)).toBe(toHex(l.appHash));
    expect(target.blocks.header(3)).toBeUndefined();
    expect(toHex(target.blocks.block(4)!.hash)).toBe(toHex(l.blocks.block(4)!.hash));
    const key = balanceStateKey(bob.address, "ubtt");
    const p = target.prove(key);
    expect(toHex(p.value!)).toBe(toHex(l.prove(key).value!));
    expect(verifyProof(target.blocks.header(4)!.appHash, key, p.value, decodeProof(p.proof))).toBe(true);

    // The next block executes the same on both (time, previous hash and state all agree).
    const next = [tx(signedTx(bob, 0n, [bankMsg.send(alice.address, [{ denom: "ubtt", amount: 5n }])]))];
    const a = l.commitBlock(next, 5000n, validator.address);
    const b = target.commitBlock(next, 5000n, validator.address);
    expect(toHex(b.hash)).toBe(toHex(a.hash));
    expect(toHex(target.appHash)).toBe(toHex(l.appHash));
    // It reopens consistent.
    const path = target.opts.dataDir;
    await target.close();
    const reopened = new Ledger({ dataDir: path, genesis, keepRecent: 3 });
    expect(reopened.height).toBe(5);
    await Promise.all([reopened.close(), l.close()]);
  });

  it("a tampered chunk gets RETRY with a refetch and its sender rejected; the good one then goes in", async () => {
    const { l, store, info } = source();
    const target = ledger();
    const restorer = new SnapshotRestorer(target);
    expect(restorer.offer(info, l.appHash).result).toBe("accept");
    const chunks = chunksOf(store, info);
    expect(restorer.apply(0, chunks[0]!, "good").result).toBe("accept");
    const bad = Buffer.from(chunks[1]!);
    bad[10]! ^= 1;
    expect(restorer.apply(1, bad, "evil")).toEqual({
      result: "retry",
      refetchChunks: [1],
      rejectSenders: ["evil"],
      reason: "chunk 1 does not hash to the metadata's",
    });
    expect(target.height).toBe(0);
    for (let i = 1; i < chunks.length; i++)
      expect(restorer.apply(i, chunks[i]!, "good").result).toBe("accept");
    expect(toHex(target.appHash)).toBe(toHex(l.appHash));
    await Promise.all([target.close(), l.close()]);
  });

  it("metadata that lies (payload changed, hashes recomputed) is rejected at the root check; nothing is written", async () => {
    const { l, store, info } = source();
    const payload = Buffer.concat(chunksOf(store, info));
    // Change the last byte of the last value: it still decodes, but the state differs.
    payload[payload.length - 1]! ^= 1;
    const m = decodeMetadata(info.metadata);
    const hashes = m.chunkHashes.map((_, i) => sha256(chunkOf(payload, m.chunkBytes, i)));
    const forged: SnapshotInfo = {
      ...info,
      hash: snapshotHash(hashes),
      metadata: encodeMetadata({ ...m, chunkHashes: hashes }),
    };
    const target = ledger();
    const restorer = new SnapshotRestorer(target);
    expect(restorer.offer(forged, l.appHash).result).toBe("accept");
    const results = hashes.map((_, i) => restorer.apply(i, chunkOf(payload, m.chunkBytes, i), "peer").result);
    expect(results.at(-1)).toBe("reject_snapshot");
    expect(results.slice(0, -1).every((r) => r === "accept")).toBe(true);
    expect(target.height).toBe(0);
    expect(target.state.latestVersion).toBe(0);
    // Chunks after a rejected snapshot: nothing in progress.
    expect(restorer.apply(0, chunkOf(payload, m.chunkBytes, 0), "peer").result).toBe("abort");
    await Promise.all([target.close(), l.close()]);
  });

  it("offers: another app hash or a hash that does not match the metadata is REJECTed, another format REJECT_FORMAT, a non-empty ledger ABORTs", async () => {
    const { l, info } = source();
    const target = ledger();
    const restorer = new SnapshotRestorer(target);
    expect(restorer.offer(info, sha256(new Uint8Array([1]))).result).toBe("reject");
    expect(restorer.offer({ ...info, hash: sha256(new Uint8Array([2])) }, l.appHash).result).toBe("reject");
    expect(restorer.offer({ ...info, chunks: info.chunks + 1 }, l.appHash).result).toBe("reject");
    expect(restorer.offer({ ...info, metadata: new Uint8Array([1, 2, 3]) }, l.appHash).result).toBe("reject");
    expect(restorer.offer({ ...info, format: 2 }, l.appHash).result).toBe("reject_format");
    expect(new SnapshotRestorer(l).offer(info, l.appHash).result).toBe("abort");
    await Promise.all([target.close(), l.close()]);
  });

  it("the store keeps the newest `keep` snapshots and serves no chunk it lacks", async () => {
    const l = ledger();
    const store = new SnapshotStore(join(dir, "keep"), 2);
    for (let h = 1; h <= 4; h++) {
      l.commitBlock([], BigInt(h) * 1000n, validator.address);
      takeSnapshot(l, store);
    }
    expect(store.list().map((s) => s.height)).toEqual([4, 3]);
    expect(store.loadChunk(2, 1, 0)).toBeUndefined();
    expect(store.loadChunk(4, 1, 1)).toBeUndefined();
    expect(store.loadChunk(4, 2, 0)).toBeUndefined();
    expect(store.loadChunk(4, 1, 0)!.length).toBeGreaterThan(0);
    await l.close();
  });
});
