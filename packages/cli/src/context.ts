import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BttError } from "@btt/core";
import { Keyring } from "./keyring/keyring.ts";
import type { OptionSpec, ParsedValues } from "./router.ts";

export const DEFAULT_API_PORT = 1317;

/** The option every command that talks to a running node takes. */
export const NODE_OPTION: Record<string, OptionSpec> = {
  node: {
    type: "string",
    value: "<url>",
    description: "node API URL (default: $BTT_NODE, else the home config's api host and port)",
  },
};

// As @btt/node's defaultHome and homePaths, which are not imported here: loading the node
// (LMDB, worker pools) would add half a second to every client command.
export const homeOf = (values: ParsedValues): string =>
  (values.home as string | undefined) ?? process.env.BTT_HOME ?? join(homedir(), ".btt");
export const configPath = (home: string): string => join(home, "config.json");
export const genesisPath = (home: string): string => join(home, "genesis.json");

export const keyringOf = (home: string): Keyring => new Keyring(join(home, "keyring"));

/** The API address of a home's config, read loosely so a home from before the API still works. */
export function configuredApi(home: string): { host: string; port: number } {
  const path = configPath(home);
  let api: { host?: unknown; port?: unknown } = {};
  if (existsSync(path)) {
    try {
      api = (JSON.parse(readFileSync(path, "utf8")) as { api?: typeof api }).api ?? {};
    } catch {
      // loadHome reports a broken config when the node starts; a client just uses the defaults
    }
  }
  return {
    host: typeof api.host === "string" ? api.host : "127.0.0.1",
    port: typeof api.port === "number" ? api.port : DEFAULT_API_PORT,
  };
}

/** Which node a client command talks to: --node, $BTT_NODE, or the home config's API. */
export function nodeUrlOf(values: ParsedValues): string {
  const explicit = (values.node as string | undefined) ?? process.env.BTT_NODE;
  if (explicit) {
    let url: URL;
    try {
      url = new URL(explicit);
    } catch {
      throw new BttError("INVALID_PARAMS", `--node "${explicit}" is not a URL (like http://127.0.0.1:1317)`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new BttError("INVALID_PARAMS", `--node "${explicit}" must be an http:// or https:// URL`);
    }
    return url.toString().replace(/\/$/, "");
  }
  const { host, port } = configuredApi(homeOf(values));
  // A server bound to every interface is reached on loopback.
  const target = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return `http://${target}:${port}`;
}

/** Prints a result: the JSON object with --json, else the human lines. */
export function emit(values: ParsedValues, json: unknown, human: string | string[]): void {
  if (values.json) console.log(JSON.stringify(json, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  else console.log(Array.isArray(human) ? human.join("\n") : human);
}
