import { abciCommand } from "./commands/abci.ts";
import { aiCommand } from "./commands/ai.ts";
import { computeCommand } from "./commands/compute.ts";
import { initCommand } from "./commands/init.ts";
import { keysCommand } from "./commands/keys.ts";
import { queryCommand } from "./commands/query.ts";
import { recordsCommand } from "./commands/records.ts";
import { startCommand } from "./commands/start.ts";
import { statusCommand } from "./commands/status.ts";
import { testnetCommand } from "./commands/testnet.ts";
import { txCommand } from "./commands/tx.ts";
import { watchCommand } from "./commands/watch.ts";
import { workerCommand } from "./commands/worker.ts";
import type { Command } from "./router.ts";

export const rootCommand: Command = {
  name: "btt",
  summary: "the BitHive node and its tools",
  details:
    "Errors print one line, `btt: <reason>`, on stderr and exit with status 1 (2 for a wrong\n" +
    "command line). --json prints one JSON object per result on stdout, for scripts.",
  subcommands: [
    initCommand,
    startCommand,
    abciCommand,
    testnetCommand,
    statusCommand,
    keysCommand,
    txCommand,
    queryCommand,
    recordsCommand,
    watchCommand,
    aiCommand,
    computeCommand,
    workerCommand,
  ],
};
