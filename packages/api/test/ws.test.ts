// WebSocket subscriptions over a real socket: live blocks, filtered tx results, resuming from a
// height while blocks keep coming (no gap, no repeat), and bad client messages.
import { bankMsg } from "@btt/modules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Json, postBytes, startTestApi, type TestApi, transfer } from "./helpers.ts";

let t: TestApi;
const nonces = new Map<string, bigint>();
beforeAll(async () => {
  t = await startTestApi({ wsMaxSubscriptions: 4, wsMaxMessageBytes: 4096 });
});
afterAll(async () => {
  await t.close();
});

type Msg = Record<string, Json>;

class Client {
  readonly messages: Msg[] = [];
  private waiters: Array<() => void> = [];
  closed?: number;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)));
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on("close", (code) => {
      this.closed = code;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(): Promise<Client> {
    const ws = new WebSocket(`${t.url.replace("http", "ws")}/v1/ws`);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return new Client(ws);
  }

  send(msg: unknown): void {
    this.ws.send(typeof msg === "string" ? msg : JSON.stringify(msg));
  }

  /** Waits until `done(messages)` holds (5 s at most). */
  async until(done: (messages: Msg[]) => boolean): Promise<Msg[]> {
    const deadline = Date.now() + 5000;
    while (!done(this.messages)) {
      if (this.closed !== undefined || Date.now() > deadline) {
        throw new Error(
          `gave up waiting; closed=${this.closed}; got ${JSON.stringify(this.messages).slice(0, 500)}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.messages;
  }

  of(id: string, type?: string): Msg[] {
    return this.messages.filter((m) => m.id === id && (type === undefined || m.type === type));
  }

  close(): void {
    this.ws.close();
  }
}

async function pay(fromIndex: number, toIndex: number, amount: bigint) {
  const from = t.chain.accounts[fromIndex]!;
  const to = t.chain.accounts[toIndex]!;
  const nonce = nonces.get(from.address) ?? 0n;
  nonces.set(from.address, nonce + 1n);
  const { bytes } = transfer({ from, to: to.address, amount, nonce, includeKey: nonce === 0n }, [
    bankMsg.send(to.address, [{ denom: "ubtt", amount }]),
  ]);
  const res = await postBytes(`${t.url}/v1/txs?wait=commit`, bytes);
  expect(res.status).toBe(200);
  return res.body as { hash: string; height: string };
}

describe("subscriptions", () => {
  it("streams new blocks", async () => {
    const c = await Client.open();
    c.send({ op: "subscribe", id: "b", stream: "blocks" });
    await c.until(() => c.of("b", "subscribed").length === 1);
    const { hash, height } = await pay(0, 1, 3n);
    const [block] = await c.until(() => c.of("b", "block").some((m) => m.block.height === height));
    expect(block).toBeDefined();
    const got = c.of("b", "block").find((m) => m.block.height === height)!;
    expect(got.block.tx_hashes).toContain(hash);
    expect(got.block.tx_results[0]).toMatchObject({ code: 0, code_name: "OK" });
    c.close();
  });

  it("filters tx results by account, message type and event attribute", async () => {
    const [, bob, , dave] = t.chain.accounts;
    const c = await Client.open();
    c.send({ op: "subscribe", id: "bob", stream: "txs", filter: { account: bob!.address } });
    c.send({ op: "subscribe", id: "sends", stream: "txs", filter: { message_type: "bank/Send" } });
    c.send({ op: "subscribe", id: "mints", stream: "txs", filter: { message_type: "bank/Mint" } });
    c.send({
      op: "subscribe",
      id: "to-dave",
      stream: "txs",
      filter: { event: { type: "bank/transfer", key: "recipient", value: dave!.address } },
    });
    await c.until(() => c.messages.filter((m) => m.type === "subscribed").length === 4);
    const toBob = await pay(0, 1, 4n);
    const toDave = await pay(2, 3, 5n);
    await c.until(() => c.of("sends", "tx").length === 2 && c.of("to-dave", "tx").length === 1);
    await c.until(() => c.of("bob", "tx").length === 1);
    expect(c.of("bob", "tx")[0]!.tx.hash).toBe(toBob.hash);
    expect(c.of("bob", "tx")[0]!.height).toBe(toBob.height);
    expect(c.of("to-dave", "tx")[0]!.tx.hash).toBe(toDave.hash);
    expect(c.of("to-dave", "tx")[0]!.tx.tx.body.messages[0].value.to).toBe(dave!.address);
    expect(c.of("sends", "tx").map((m) => m.tx.hash)).toEqual([toBob.hash, toDave.hash]);
    expect(c.of("mints", "tx")).toEqual([]);
    c.send({ op: "unsubscribe", id: "bob" });
    await c.until(() => c.of("bob", "unsubscribed").length === 1);
    await pay(0, 1, 6n);
    await c.until(() => c.of("sends", "tx").length === 3);
    expect(c.of("bob", "tx").length).toBe(1);
    c.close();
  });

  it("resumes from a height with no gap and no repeat while blocks keep coming", async () => {
    for (let i = 0; i < 6; i++) await pay(i % 4, (i + 1) % 4, 1n);
    const c = await Client.open();
    c.send({ op: "subscribe", id: "r", stream: "blocks", from_height: "2" });
    // Blocks committed during the replay must come once each, in order.
    const payments = (async () => {
      for (let i = 0; i < 6; i++) await pay((i + 1) % 4, i % 4, 1n);
    })();
    await payments;
    const target = t.node.height;
    await c.until(() => c.of("r", "block").some((m) => Number(m.block.height) >= target));
    const heights = c.of("r", "block").map((m) => Number(m.block.height));
    expect(heights[0]).toBe(2);
    expect(heights).toEqual(Array.from({ length: heights.length }, (_, i) => i + 2));
    expect(c.of("r", "subscribed")[0]!.from_height).toBe("2");
    c.close();

    // A reconnecting client resumes at last seen + 1.
    const again = await Client.open();
    const last = heights[heights.length - 1]!;
    again.send({ op: "subscribe", id: "r2", stream: "txs", from_height: String(last - 1) });
    await again.until(() => again.of("r2", "tx").some((m) => Number(m.height) === last));
    expect(again.of("r2", "tx").every((m) => Number(m.height) >= last - 1)).toBe(true);
    again.close();
  });
});

describe("bad client messages", () => {
  it("answers each with an error naming the problem, and keeps the socket", async () => {
    const c = await Client.open();
    c.send("{not json");
    c.send({ op: "publish", id: "x" });
    c.send({ op: "subscribe", id: "x", stream: "blocks", extra: true });
    c.send({ op: "subscribe", id: "y", stream: "txs", filter: { account: "btt1nope" } });
    c.send({ op: "subscribe", id: "z", stream: "blocks", from_height: 3 });
    c.send({ op: "subscribe", id: "f", stream: "blocks", filter: { message_type: "bank/Send" } });
    c.send({ op: "unsubscribe", id: "never" });
    const errors = (await c.until((m) => m.filter((x) => x.type === "error").length === 7)).filter(
      (x) => x.type === "error",
    );
    expect(errors.map((e) => e.code)).toEqual([
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      "INVALID_REQUEST",
      "NOT_FOUND",
    ]);
    expect(errors[0]!.message).toMatch(/not valid JSON/);
    expect(errors[1]!.message).toMatch(/message\.op/);
    expect(errors[2]!.message).toMatch(/message\.extra is not a known field/);
    expect(errors[3]!.message).toMatch(/message\.filter\.account must be a bech32 account address/);
    expect(errors[4]!.message).toMatch(/message\.from_height must be a block height/);
    expect(errors[5]!.message).toMatch(/filter applies to the txs stream only/);
    expect(errors[6]).toMatchObject({ id: "never" });
    for (const e of errors) expect(JSON.stringify(e)).not.toMatch(/\n\s+at /);
    c.send({ op: "subscribe", id: "ok", stream: "blocks" });
    await c.until(() => c.of("ok", "subscribed").length === 1);
    c.close();
  });

  it("caps subscriptions per socket", async () => {
    const c = await Client.open();
    for (let i = 0; i < 5; i++) c.send({ op: "subscribe", id: `s${i}`, stream: "blocks" });
    c.send({ op: "subscribe", id: "s0", stream: "blocks" });
    await c.until((m) => m.filter((x) => x.type === "error").length === 2);
    const errors = c.messages.filter((x) => x.type === "error");
    expect(errors[0]).toMatchObject({
      id: "s4",
      code: "INVALID_REQUEST",
      message: expect.stringMatching(/at most 4 subscriptions/),
    });
    expect(errors[1]).toMatchObject({ id: "s0", message: expect.stringMatching(/in use/) });
    c.close();
  });

  it("closes the socket with 1009 on an oversize message", async () => {
    const c = await Client.open();
    c.send({ op: "subscribe", id: "a".repeat(5000), stream: "blocks" });
    await c.until(() => c.closed !== undefined).catch(() => undefined);
    expect(c.closed).toBe(1009);
  });
});
