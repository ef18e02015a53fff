import { BttApiError, BttClient } from "@btt/sdk";
import WebSocket from "ws";

/** The SDK client for a node URL; `ws` supplies WebSocket on Node 20. */
export function connect(url: string): BttClient {
  return new BttClient({ url, WebSocket: WebSocket as never, timeoutMs: 15_000 });
}

/** True when no node answered at all (as opposed to an error the node sent back). */
export function isUnreachable(err: unknown): boolean {
  return err instanceof BttApiError && err.code === "NETWORK_ERROR";
}

/** Runs a client call, turning "nothing answered" into a reason that says what to do. */
export async function withNode<T>(url: string, call: (client: BttClient) => Promise<T>): Promise<T> {
  try {
    return await call(connect(url));
  } catch (err) {
    if (isUnreachable(err)) {
      throw new BttApiError(
        "NETWORK_ERROR",
        `no node answers at ${url}: start one with btt start, or pass --node <url>`,
        0,
      );
    }
    throw err;
  }
}
