// A minimal ABCI client for tests: writes framed requests, reads framed responses in order.
import { connect, type Socket } from "node:net";
import { type Request, Request as RequestCodec, Response } from "cosmjs-types/tendermint/abci/types";
import { FrameReader, frame } from "../src/framing.ts";

export class TestClient {
  private readonly reader = new FrameReader(1 << 30);
  private readonly received: Response[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk) => {
      for (const m of this.reader.push(chunk)) this.received.push(Response.decode(m));
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new TestClient(s)));
      s.once("error", reject);
    });
  }

  send(...requests: Request[]): void {
    this.socket.write(Buffer.concat(requests.map((r) => frame(RequestCodec.encode(r).finish()))));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for `n` responses (or the connection closing) and returns them. */
  async take(n: number): Promise<Response[]> {
    while (this.received.length < n && !this.closed) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.received.splice(0, n);
  }

  /** One request, then a Flush; returns the request's response. */
  async call(request: Request): Promise<Response> {
    this.send(request, { flush: {} });
    const [r, f] = await this.take(2);
    if (!f?.flush) throw new Error(`expected a flush response, got ${JSON.stringify(f)}`);
    return r!;
  }

  waitClosed(): Promise<void> {
    return this.closed
      ? Promise.resolve()
      : new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
