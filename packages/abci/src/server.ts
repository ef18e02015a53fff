import { existsSync, unlinkSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { BttError } from "@btt/core";
import { AbciConnection, type ConnectionLog, type RequestHandler } from "./connection.ts";

/** Where the ABCI server listens: CometBFT's `proxy_app` names the same address. */
export type AbciAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/** Parses "tcp://HOST:PORT" or "unix:///path/to/socket". */
export function parseAbciAddress(address: string): AbciAddress {
  const tcp = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[^:/]+):(\d{1,5})$/.exec(address);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port > 65535) throw new BttError("INVALID_PARAMS", `port ${port} is out of range in "${address}"`);
    return { kind: "tcp", host: tcp[1]!.replace(/^\[|\]$/g, ""), port };
  }
  const unix = /^unix:\/\/(\/.+)$/.exec(address);
  if (unix) return { kind: "unix", path: unix[1]! };
  throw new BttError("INVALID_PARAMS", `"${address}" is not tcp://HOST:PORT or unix:///PATH`);
}

export interface AbciServerOptions {
  /** Largest message accepted; a bigger frame closes its connection. */
  maxMessageBytes?: number;
  log?: ConnectionLog;
}

/** 256 MiB: a block of 16 MiB of txs with its overhead fits many times over. */
export const DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** The ABCI socket server: one AbciConnection per connection CometBFT opens (it opens four). */
export class AbciServer {
  private readonly server: Server;
  private readonly connections = new Set<AbciConnection>();
  private readonly sockets = new Set<Socket>();
  private nextId = 1;
  private readonly log: ConnectionLog;

  constructor(handler: RequestHandler, opts: AbciServerOptions = {}) {
    this.log = opts.log ?? (() => {});
    const max = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.server = createServer((socket) => {
      const id = this.nextId++;
      const conn = new AbciConnection(socket, handler, this.log, id, max);
      this.connections.add(conn);
      this.sockets.add(socket);
      this.log({ level: "info", msg: "abci connection opened", conn: id });
      socket.on("close", () => {
        this.connections.delete(conn);
        this.sockets.delete(socket);
        this.log({ level: "info", msg: "abci connection closed", conn: id });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Listens; resolves with the address actually bound (port 0 picks a free one). */
  listen(address: AbciAddress | string): Promise<string> {
    const a = typeof address === "string" ? parseAbciAddress(address) : address;
    return new Promise((resolve, reject) => {
      this.server.once("error", reject);
      const done = () => {
        this.server.off("error", reject);
        const bound = this.server.address();
        if (a.kind === "unix" || typeof bound === "string" || bound === null)
          resolve(`unix://${a.kind === "unix" ? a.path : bound}`);
        else resolve(`tcp://${a.host}:${bound.port}`);
      };
      if (a.kind === "unix") {
        // A socket file left by a crashed run would make listen fail with EADDRINUSE.
        if (existsSync(a.path)) unlinkSync(a.path);
        this.server.listen(a.path, done);
      } else {
        this.server.listen(a.port, a.host, done);
      }
    });
  }

  /** Stops listening and drops every connection. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
