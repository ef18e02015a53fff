// What the SDK's tests share: the code of a thrown error, and a real chain to run against (a dev
// genesis, a node on LMDB in a temp directory).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BttError, type Signer } from "@btt/core";
import {
  BttNode,
  createDevGenesis,
  DEFAULT_MEMPOOL_OPTIONS,
  type DevGenesisOptions,
  type GenesisDoc,
} from "@btt/node";

/**
 * The code of the error `f` throws, or "no error". Only errors of `type` (default BttError) count:
 * anything else is rethrown, so a crash never passes for the expected refusal.
 */
export function codeOf<E extends Error & { code: string }>(
  f: () => unknown,
  type: abstract new (...args: never[]) => E = BttError as never,
): E["code"] | "no error" {
  try {
    f();
  } catch (e) {
    if (e instanceof type) return e.code;
    throw e;
  }
  return "no error";
}

/** A dev genesis at a fixed time, so the chain is the same on every run. */
export function devGenesis(
  chainId: string,
  validator: Signer,
  funded: DevGenesisOptions["funded"],
  minters?: string[],
): GenesisDoc {
  return createDevGenesis({
    chainId,
    genesisTime: "2026-01-01T00:00:00Z",
    validator,
    funded,
    ...(minters ? { minters } : {}),
  });
}

/** A temp directory for a test's LMDB; `remove` deletes it. */
export function tempDir(name: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `btt-sdk-${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A node in a temp directory, signatures checked on the main thread; `close` also deletes its data. */
export function openTestNode(
  name: string,
  genesis: GenesisDoc,
  keepRecent: number,
): {
  node: BttNode;
  close: () => Promise<void>;
} {
  const dir = tempDir(name);
  const node = new BttNode({
    dataDir: dir.path,
    genesis,
    keepRecent,
    mempool: DEFAULT_MEMPOOL_OPTIONS,
    verifyThreads: 0,
  });
  return {
    node,
    close: async () => {
      await node.close();
      dir.remove();
    },
  };
}
