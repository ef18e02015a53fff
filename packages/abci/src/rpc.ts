import { BttError, type ErrorName, errorName, sha256, toHex } from "@btt/core";

/**
 * A BttNode submitter (BttNode.routeSubmissions) that sends each tx to CometBFT's RPC
 * `broadcast_tx_sync`: CometBFT runs CheckTx (this app's mempool admission) and gossips the
 * tx. Resolves with the tx hash (CometBFT's is SHA-256 of the bytes, as BTT's); a CheckTx
 * rejection becomes the BttError of its code.
 */
export function cometRpcSubmitter(
  rpcUrl: string,
  timeoutMs = 10_000,
): (bytes: Uint8Array) => Promise<string> {
  return async (bytes) => {
    let res: Response;
    try {
      res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "broadcast_tx_sync",
          params: { tx: Buffer.from(bytes).toString("base64") },
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new BttError(
        "NOT_READY",
        `CometBFT's RPC at ${rpcUrl} did not answer: ${(err as Error).message}`,
      );
    }
    const body = (await res.json()) as {
      result?: { code: number; log: string; codespace: string };
      error?: { message: string; data?: string };
    };
    if (body.error) {
      const text = `${body.error.message} ${body.error.data ?? ""}`.trim();
      // CometBFT's own refusals: a tx its cache has seen, a full mempool, a tx too large.
      if (/already exists in cache/.test(text)) throw new BttError("DUPLICATE_TX", text);
      if (/mempool is full/.test(text)) throw new BttError("MEMPOOL_FULL", text);
      if (/too large/.test(text)) throw new BttError("TX_TOO_LARGE", text);
      throw new BttError("INTERNAL", `CometBFT refused the tx: ${text}`);
    }
    const r = body.result!;
    if (r.code !== 0) {
      const name = r.codespace === "btt" ? errorName(r.code) : "UNKNOWN";
      throw new BttError(name === "UNKNOWN" ? "INTERNAL" : (name as ErrorName), r.log);
    }
    return toHex(sha256(bytes));
  };
}
