// BttClient against a real node and its API (LMDB in a temp dir, Fastify on a free port, the solo
// driver making blocks), over HTTP and WebSocket.
import { type RunningApi, startApi } from "@btt/api";
import { BttError, toHex } from "@btt/core";
import { type BttNode, SoloDriver } from "@btt/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import {
  BttApiError,
  BttClient,
  bank,
  type FetchLike,
  ProofError,
  signerFromMnemonic,
  signTransaction,
  TimeoutError,
  TxFailedError,
  txToJson,
  type WebSocketConstructor,
} from "../src/index.ts";
import { devGenesis, openTestNode } from "./helpers.ts";

const MNEMONIC = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above";
const CHAIN = "btt-sdk-client-1";
const alice = signerFromMnemonic(MNEMONIC);
const quantum = signerFromMnemonic(MNEMONIC, { type: "ml-dsa-65" });
const fresh = signerFromMnemonic(MNEMONIC, { index: 5 });
const nobody = signerFromMnemonic(MNEMONIC, { index: 6 }).address;
const validator = signerFromMnemonic(MNEMONIC, { index: 99 });
const WS = WebSocket as unknown as WebSocketConstructor;

describe("BttClient against a real node", () => {
  let testNode: ReturnType<typeof openTestNode>;
  let node: BttNode;
  let driver: SoloDriver;
  let api: RunningApi;
  let client: BttClient;

  beforeAll(async () => {
    const genesis = devGenesis(
      CHAIN,
      validator,
      [
        { signer: alice, ubtt: 50_000_000n },
        { signer: quantum, ubtt: 50_000_000n },
      ],
      [alice.address],
    );
    testNode = openTestNode("client", genesis, 50);
    node = testNode.node;
    driver = new SoloDriver(node, {
      blockIntervalMs: 0,
      limits: { maxTxs: 1000, maxBytes: 1 << 22 },
      proposer: validator.address,
    });
    driver.produce();
    driver.start();
    api = await startApi(node, { port: 0, logger: false, rateLimit: { max: 0, windowMs: 60_000 } });
    client = new BttClient({ url: api.url, WebSocket: WS, chainId: CHAIN });
  });
  afterAll(async () => {
    driver?.stop();
    await api?.close();
    await testNode?.close();
  });

  test("status, blocks, params", async () => {
    const status = await client.status();
    expect(status.chain_id).toBe(CHAIN);
    expect(await client.getChainId()).toBe(CHAIN);
    const latest = await client.block("latest");
    expect(BigInt(latest.height)).toBeGreaterThanOrEqual(1n);
    expect((await client.block(1)).header.chain_id).toBe(CHAIN);
    expect((await client.blockByHash(latest.hash)).height).toBe(latest.height);
    const fees = await client.feeSchedule();
    expect(fees.feeDenom).toBe("ubtt");
  });

  test("sendTokens: nonce, fee and key from the node; committed; verified balances", async () => {
    const sent = await client.sendTokens(alice, fresh.address, { denom: "ubtt", amount: "2.5", decimals: 6 });
    expect(sent.code).toBe(0);
    expect(sent.height).toBeDefined();
    const tx = await client.tx(sent.hash);
    expect(tx.status).toBe("committed");
    expect((await client.waitForTx(sent.hash, 1000)).height).toBe(sent.height);

    const balance = await client.balance(fresh.address, "ubtt");
    expect(balance.amount).toBe(2_500_000n);
    expect(balance.height).toBeGreaterThanOrEqual(BigInt(sent.height!));
    expect((await client.balance(nobody, "ubtt")).amount).toBe(0n);

    // The fresh account's first tx carries its key (the node does not know it yet), and works.
    expect((await client.account(fresh.address)).key_type).toBeNull();
    const back = await client.sendTokens(fresh, alice.address, { denom: "ubtt", amount: 1000n });
    expect(back.code).toBe(0);
    expect((await client.account(fresh.address)).key_type).toBe("ed25519");
    // Its second does not need to.
    expect((await client.sendTokens(fresh, alice.address, { denom: "ubtt", amount: 1n })).code).toBe(0);

    // A post-quantum account sends too.
    expect((await client.sendTokens(quantum, fresh.address, { denom: "ubtt", amount: 7n })).code).toBe(0);

    // A raw state entry: the ubtt supply, "s" ‖ "ubtt" in the bank's prefix, verified.
    const supply = await client.state("bank", toHex(new TextEncoder().encode("subtt")));
    expect(supply.value).toBeDefined();
    expect(BigInt(`0x${toHex(supply.value!)}`)).toBe(100_000_000n);
  });

  test("the JSON form of an SDK tx is the same tx for the server (same hash)", async () => {
    const account = await client.account(alice.address);
    const signed = signTransaction(alice, {
      chainId: CHAIN,
      nonce: BigInt(account.nonce),
      messages: [bank.mint({ to: fresh.address, amount: { denom: "ubtt", amount: 5n } })],
      feeSchedule: await client.feeSchedule(),
      includePublicKey: false,
    });
    const result = await client.submit(txToJson(signed.tx), { wait: true });
    expect(result.hash).toBe(signed.hash);
    expect(result.code).toBe(0);
  });

  test("typed errors: API error bodies, failed txs, timeouts, bad input, no server", async () => {
    const missing = "ab".repeat(32);
    await expect(client.tx(missing)).rejects.toMatchObject({
      name: "BttApiError",
      code: "NOT_FOUND",
      status: 404,
    });
    await expect(client.waitForTx(missing, 150)).rejects.toBeInstanceOf(TimeoutError);
    await expect(client.params("nosuchmodule")).rejects.toMatchObject({ code: "NOT_FOUND", status: 404 });

    // A stale nonce is refused by the mempool: 409 with the ledger's code.
    const stale = signTransaction(alice, {
      chainId: CHAIN,
      nonce: 0n,
      messages: [bank.send({ to: fresh.address, amount: { denom: "ubtt", amount: 1n } })],
      feeSchedule: await client.feeSchedule(),
      includePublicKey: false,
    });
    const err = await client.submit(stale).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BttApiError);
    expect(err).toMatchObject({ code: "NONCE_TOO_LOW", status: 409 });

    // Spending more than the balance: refused at admission (fee funds) or committed as failed.
    const tooMuch = await client
      .sendTokens(fresh, alice.address, { denom: "ubtt", amount: 10n ** 12n })
      .catch((e: unknown) => e);
    expect(tooMuch instanceof TxFailedError || tooMuch instanceof BttApiError).toBe(true);
    expect((tooMuch as { code: string }).code).toBe("INSUFFICIENT_FUNDS");

    // Bad input never reaches the network.
    expect(() => client.account("btt1nope")).toThrow(BttError);
    expect(() => client.tx("xyz")).toThrow(BttError);
    await expect(client.balance(alice.address, "NOT A DENOM")).rejects.toBeInstanceOf(BttError);

    const offline = new BttClient({ url: "http://127.0.0.1:9", timeoutMs: 2000 });
    await expect(offline.status()).rejects.toMatchObject({ code: "NETWORK_ERROR", status: 0 });
  });

  test("paginated txs of an account and events", async () => {
    const first = await client.txsOf(fresh.address, { limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(first.nextCursor).toBeDefined();
    const second = await client.txsOf(fresh.address, { limit: 1, cursor: first.nextCursor! });
    expect(second.items[0]!.hash).not.toBe(first.items[0]!.hash);
    const events = await client.events({ type: "bank/transfer", limit: 5 });
    expect(events.items.length).toBeGreaterThan(0);
    expect(events.items.every((e) => e.type === "bank/transfer")).toBe(true);
  });

  test("a man in the middle that changes a balance, a proof or a header is caught", async () => {
    const tamper = (rewrite: (path: string, body: Record<string, unknown>) => void): BttClient => {
      const fetchThrough: FetchLike = async (input, init) => {
        const res = await fetch(input, init);
        const body = (await res.json()) as Record<string, unknown>;
        rewrite(new URL(input).pathname, body);
        return new Response(JSON.stringify(body), { status: res.status });
      };
      return new BttClient({ url: api.url, fetch: fetchThrough });
    };
    const balancePath = `/v1/bank/balances/${fresh.address}/ubtt`;
    const cases: Array<[string, (path: string, body: Record<string, unknown>) => void]> = [
      [
        "amount",
        (p, b) => {
          if (p === balancePath) b.amount = String(BigInt(b.amount as string) + 1n);
        },
      ],
      [
        "value",
        (p, b) => {
          if (p !== balancePath) return;
          b.value = "ffffffff";
          b.amount = String(0xffffffffn);
        },
      ],
      [
        "proof",
        (p, b) => {
          if (p !== balancePath) return;
          const proof = b.proof as string;
          const last = (Number.parseInt(proof.slice(-2), 16) ^ 1).toString(16).padStart(2, "0");
          b.proof = proof.slice(0, -2) + last;
        },
      ],
      [
        "app hash",
        (p, b) => {
          if (p === balancePath) b.app_hash = "00".repeat(32);
        },
      ],
      [
        "header",
        (p, b) => {
          if (!p.startsWith("/v1/blocks/")) return;
          (b.header as Record<string, string>).time_ms = "1";
        },
      ],
      [
        "header app hash",
        (p, b) => {
          if (!p.startsWith("/v1/blocks/")) return;
          (b.header as Record<string, string>).app_hash = "11".repeat(32);
        },
      ],
    ];
    for (const [, rewrite] of cases) {
      await expect(tamper(rewrite).balance(fresh.address, "ubtt")).rejects.toBeInstanceOf(ProofError);
    }
    // Untouched, the same path verifies.
    expect((await tamper(() => {}).balance(fresh.address, "ubtt")).amount).toBeGreaterThan(0n);
  });

  test("subscriptions over the real WebSocket: replay, live, and a dropped connection without gaps", async () => {
    const start = BigInt((await client.status()).height);
    const sub = client.subscribe("blocks", undefined, { fromHeight: 1, minDelayMs: 10, maxDelayMs: 50 });
    const heights: bigint[] = [];
    const target = start + 4n;
    let dropped = false;
    for await (const e of sub) {
      heights.push(e.height);
      if (e.height === 2n && !dropped) {
        dropped = true;
        // Cut the connection under the subscription (no close handshake, frames in flight lost):
        // it must reconnect and resume at 3.
        (sub as unknown as { socket: WebSocket }).socket.terminate();
      }
      if (e.height === start) {
        // Make new blocks (the driver is in instant mode: a block when a tx is pending).
        for (let i = 0; i < 4; i++) driver.produce();
      }
      if (e.height === target) break;
    }
    expect(heights).toEqual(Array.from({ length: Number(target) }, (_, i) => BigInt(i + 1)));
    expect(sub.connections).toBeGreaterThanOrEqual(2);

    // Txs touching an account, replayed from height 1: every transfer to `fresh`, once each.
    const txs = client.subscribe("txs", { account: fresh.address }, { fromHeight: 1 });
    const seen: string[] = [];
    const known = await client.txsOf(fresh.address, { limit: 100 });
    for await (const e of txs) {
      if (e.type === "tx") seen.push(e.tx.hash);
      if (seen.length === known.items.length) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(new Set(seen)).toEqual(new Set(known.items.map((t) => t.hash)));
  });
});
