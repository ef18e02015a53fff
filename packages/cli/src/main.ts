#!/usr/bin/env node
// The `btt` command: one entry, a tree of subcommands (src/commands), one line on stderr and a
// non-zero status on any failure.
import { runCli } from "./cli.ts";
import { describeFailure } from "./errors.ts";

function crash(err: unknown): never {
  const { line, status } = describeFailure(err);
  console.error(line);
  process.exit(status);
}

process.on("uncaughtException", crash);
process.on("unhandledRejection", crash);

const status = await runCli(process.argv.slice(2));
// Exit at once on failure; on success let running servers and sockets keep the process alive.
if (status !== 0) process.exit(status);
