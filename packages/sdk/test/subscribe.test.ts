// Reconnect logic of subscriptions against a scripted WebSocket server (the `ws` package on a free
// port) that drops connections at chosen points, including between two txs of one height.
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { BttApiError, type StreamEvent, Subscription, type WebSocketConstructor } from "../src/index.ts";

type Frame = Record<string, unknown>;
/** What a connection sends: given the subscribe request, the frames, then whether to drop. */
type Script = (request: Frame) => { frames: Frame[]; drop: boolean };

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

async function scriptedServer(scripts: Script[]): Promise<{ url: string; requests: Frame[] }> {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  servers.push(wss);
  await new Promise((r) => wss.once("listening", r));
  const requests: Frame[] = [];
  wss.on("connection", (socket) => {
    socket.once("message", (data) => {
      const request = JSON.parse(String(data)) as Frame;
      requests.push(request);
      const script = scripts[Math.min(requests.length - 1, scripts.length - 1)]!;
      const { frames, drop } = script(request);
      const from = request.from_height ?? "1";
      socket.send(
        JSON.stringify({ id: request.id, type: "subscribed", stream: request.stream, from_height: from }),
      );
      for (const f of frames) socket.send(JSON.stringify({ id: request.id, ...f }));
      if (drop) socket.terminate();
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, requests };
}

const block = (h: number): Frame => ({ type: "block", block: { height: String(h), hash: `b${h}` } });
const tx = (h: number, i: number): Frame => ({ type: "tx", height: String(h), tx: { hash: `t${h}.${i}` } });

async function take(sub: Subscription, n: number): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of sub) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

const WS = WebSocket as unknown as WebSocketConstructor;
const fast = { minDelayMs: 5, maxDelayMs: 20 };

describe("subscriptions", () => {
  test("blocks: a dropped connection resumes at last + 1, nothing missed or repeated", async () => {
    const server = await scriptedServer([
      () => ({ frames: [block(5), block(6), block(7)], drop: true }),
      // The server may resend what the client has (a replay from an older height): skipped.
      (r) => ({
        frames: [block(7), block(Number(r.from_height)), block(Number(r.from_height) + 1)],
        drop: true,
      }),
      (r) => ({ frames: [block(Number(r.from_height)), block(Number(r.from_height) + 1)], drop: false }),
    ]);
    const sub = new Subscription(server.url, WS, "blocks", undefined, { fromHeight: 5n, ...fast });
    const events = await take(sub, 7);
    expect(events.map((e) => e.height)).toEqual([5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    expect(server.requests.map((r) => r.from_height)).toEqual(["5", "8", "10"]);
    expect(server.requests[0]).toMatchObject({ op: "subscribe", stream: "blocks" });
    expect(sub.connections).toBe(3);
  });

  test("txs: a drop between two txs of one height resumes at that height and skips what was delivered", async () => {
    const server = await scriptedServer([
      () => ({ frames: [tx(3, 0), tx(4, 0), tx(4, 1)], drop: true }), // tx 4.2 never arrived
      (r) => {
        const from = Number(r.from_height);
        const all = [tx(4, 0), tx(4, 1), tx(4, 2), tx(6, 0), tx(7, 0)];
        return { frames: all.filter((f) => Number(f.height) >= from), drop: false };
      },
    ]);
    const filter = { account: "btt1xyz" };
    const sub = new Subscription(server.url, WS, "txs", filter, { fromHeight: 3, ...fast });
    const events = await take(sub, 6);
    expect(events.map((e) => (e.type === "tx" ? e.tx.hash : ""))).toEqual([
      "t3.0",
      "t4.0",
      "t4.1",
      "t4.2",
      "t6.0",
      "t7.0",
    ]);
    expect(server.requests.map((r) => r.from_height)).toEqual(["3", "4"]);
    expect(server.requests[1]!.filter).toEqual(filter);
    sub.close();
  });

  test("without fromHeight, a reconnect before any event resumes where the server started", async () => {
    const server = await scriptedServer([
      () => ({ frames: [], drop: true }),
      () => ({ frames: [block(12)], drop: false }),
    ]);
    const sub = new Subscription(server.url, WS, "blocks", undefined, fast);
    await take(sub, 1);
    // The first request asked for nothing in particular; the server acknowledged from_height "1".
    expect(server.requests.map((r) => r.from_height)).toEqual([undefined, "1"]);
    sub.close();
  });

  test("a server error ends the subscription with a typed error; close() ends it quietly", async () => {
    const server = await scriptedServer([
      () => ({
        frames: [
          block(1),
          { type: "error", code: "HEIGHT_UNAVAILABLE", message: "pruned", details: { latest: "9" } },
        ],
        drop: false,
      }),
    ]);
    const sub = new Subscription(server.url, WS, "blocks", undefined, { fromHeight: 1, ...fast });
    const first = await sub.next();
    expect(first.value?.height).toBe(1n);
    const err = await sub.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BttApiError);
    expect(err).toMatchObject({ code: "HEIGHT_UNAVAILABLE", details: { latest: "9" } });

    const quiet = new Subscription(server.url, WS, "blocks", undefined, { fromHeight: 1, ...fast });
    const pending = quiet.next();
    quiet.close();
    // Either the first block arrived first or the close did; never an error.
    const r = await pending;
    expect(r.done === true || r.value?.height === 1n).toBe(true);
    expect((await quiet.next()).done).toBe(true);
  });

  test("reconnect: false reports the drop", async () => {
    const server = await scriptedServer([() => ({ frames: [block(1)], drop: true })]);
    const sub = new Subscription(server.url, WS, "blocks", undefined, { fromHeight: 1, reconnect: false });
    expect((await sub.next()).value?.height).toBe(1n);
    await expect(sub.next()).rejects.toMatchObject({ code: "NETWORK_ERROR" });
    expect(sub.connections).toBe(1);
  });
});
