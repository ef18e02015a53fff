import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Application, BttNode, type GenesisDoc, validateGenesis } from "@btt/node";
import { testChain } from "../../node/test/helpers.ts";
import { type AbciAppOptions, BttAbciApp } from "../src/app.ts";
import { AbciServer } from "../src/server.ts";

export { signedTx, TEST_CHAIN_ID, TEST_FEE } from "../../node/test/helpers.ts";

/** The test chain's genesis with every module's section filled in, as `btt init` writes it. */
export function fullTestChain(accounts = 4) {
  const chain = testChain(accounts);
  const genesis: GenesisDoc = validateGenesis(chain.genesis, (id) => new Application(id));
  return { ...chain, genesis };
}

export interface AppUnderTest {
  node: BttNode;
  app: BttAbciApp;
  server: AbciServer;
  port: number;
  logs: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/** A node on a temp LMDB, its ABCI app (options over the test defaults), and the server on `port` (0 = a free one). */
export async function startApp(
  genesis: GenesisDoc,
  dataDir?: string,
  port = 0,
  appOptions: Partial<AbciAppOptions> = {},
): Promise<AppUnderTest> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "btt-abci-"));
  const node = new BttNode({
    dataDir: dir,
    genesis,
    keepRecent: 20,
    mempool: { maxTxs: 10_000, maxBytes: 1 << 24, maxTxBytes: 1 << 17 },
    verifyThreads: 0,
  });
  const app = new BttAbciApp(node, { retainBlocks: 0, maxTxBytes: 1 << 17, ...appOptions });
  const logs: Array<Record<string, unknown>> = [];
  const server = new AbciServer((r) => app.handle(r), { log: (e) => logs.push(e), maxMessageBytes: 1 << 20 });
  const bound = await server.listen(`tcp://127.0.0.1:${port}`);
  return {
    node,
    app,
    server,
    port: Number(bound.split(":").pop()),
    logs,
    async close() {
      await server.close();
      await node.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
