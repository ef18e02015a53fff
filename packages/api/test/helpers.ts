// A real node (LMDB in a temp dir, solo driver in instant mode) with its API on a free port.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ApiOptions, type RunningApi, startApi } from "@btt/api";
import { createTxBody, encodeTx, type Msg, type Signer, signTx, toHex } from "@btt/core";
import { BttNode, SoloDriver } from "@btt/node";
import { TEST_CHAIN_ID, TEST_FEE, type TestChain, testChain } from "../../node/test/helpers.ts";

export { signer, TEST_CHAIN_ID, TEST_FEE } from "../../node/test/helpers.ts";

/** Response bodies in tests: arbitrary JSON, asserted on field by field. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions are the type checks
export type Json = any;

export interface TestApi {
  chain: TestChain;
  node: BttNode;
  driver: SoloDriver;
  api: RunningApi;
  url: string;
  close(): Promise<void>;
}

export async function startTestApi(opts: Partial<ApiOptions> = {}, accounts = 4): Promise<TestApi> {
  const dir = mkdtempSync(join(tmpdir(), "btt-api-test-"));
  const chain = testChain(accounts);
  const node = new BttNode({
    dataDir: dir,
    genesis: chain.genesis,
    keepRecent: 50,
    mempool: { maxTxs: 10_000, maxBytes: 1 << 26, maxTxBytes: 1 << 17 },
    verifyThreads: 0,
  });
  const driver = new SoloDriver(node, {
    blockIntervalMs: 0,
    limits: { maxTxs: 10_000, maxBytes: 1 << 24 },
    proposer: chain.validator.address,
  });
  driver.produce(); // block 1: genesis state
  driver.start();
  const api = await startApi(node, {
    port: 0,
    logger: false,
    rateLimit: { max: 0, windowMs: 1000 },
    ...opts,
  });
  return {
    chain,
    node,
    driver,
    api,
    url: api.url,
    close: async () => {
      driver.stop();
      await api.close();
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Transfer {
  from: Signer;
  to: string;
  amount: bigint;
  nonce: bigint;
  fee?: bigint;
  includeKey?: boolean;
  memo?: string;
}

/** The same signed transfer as canonical bytes and as the API's JSON tx. */
export function transfer(t: Transfer, msgs: Msg[]): { bytes: Uint8Array; json: Record<string, unknown> } {
  const body = createTxBody({
    chainId: TEST_CHAIN_ID,
    sender: t.from.address,
    nonce: t.nonce,
    fee: { denom: "ubtt", amount: t.fee ?? TEST_FEE },
    messages: msgs,
    memo: t.memo ?? "",
  });
  const tx = signTx(body, t.from, t.includeKey ?? false);
  const json = {
    body: {
      chain_id: TEST_CHAIN_ID,
      sender: t.from.address,
      nonce: t.nonce.toString(),
      fee: { denom: "ubtt", amount: (t.fee ?? TEST_FEE).toString() },
      messages: [
        { type: "bank/Send", value: { to: t.to, amount: [{ denom: "ubtt", amount: t.amount.toString() }] } },
      ],
      memo: t.memo ?? "",
    },
    ...(t.includeKey ? { public_key: { ed25519: toHex(t.from.publicKey.key.value as Uint8Array) } } : {}),
    signature: toHex(tx.signature),
  };
  return { bytes: encodeTx(tx), json };
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: returned as text
  }
  return { status: res.status, body, headers: res.headers };
}

export function postJson(url: string, body: unknown) {
  return getJson(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export function postBytes(url: string, bytes: Uint8Array) {
  return getJson(url, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: bytes,
  });
}

/** An error body: exactly {code, message, details}, no stack trace. */
export function expectErrorShape(body: Json): void {
  if (typeof body !== "object" || body === null) throw new Error(`not a JSON error: ${body}`);
  const keys = Object.keys(body).sort().join(",");
  if (keys !== "code,details,message") throw new Error(`error keys are ${keys}`);
  if (/\n\s+at /.test(JSON.stringify(body))) throw new Error("error body carries a stack trace");
}
