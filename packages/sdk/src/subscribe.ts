// WebSocket subscriptions (GET /v1/ws) that survive reconnects: the client remembers the last
// height it delivered and resubscribes from there, dropping anything it already delivered, so the
// caller sees every block (or matching tx) once, in order.
import type { BlockJson, TxJson } from "./api-types.ts";
import { BttApiError } from "./errors.ts";

export type Stream = "blocks" | "txs";

/** Filters of the txs stream (the blocks stream takes none). */
export interface TxFilter {
  account?: string;
  message_type?: string;
  event?: { type: string; key?: string; value?: string };
}

export type StreamEvent =
  | { type: "block"; height: bigint; block: BlockJson }
  | { type: "tx"; height: bigint; tx: TxJson };

/** The subset of the WHATWG WebSocket the SDK uses: browsers' and `ws`'s both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface SubscribeOptions {
  /** First height to deliver (replayed from the node's retained blocks); default: the next block. */
  fromHeight?: bigint | number;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** Backoff between reconnects: doubles from minDelayMs up to maxDelayMs (defaults 100, 5000). */
  minDelayMs?: number;
  maxDelayMs?: number;
}

const SUBSCRIPTION_ID = "sdk";
const OPEN = 1;
const decoder = new TextDecoder();

/**
 * A live subscription: iterate it with `for await`, stop it with close(). A server error for the
 * subscription (bad filter, unknown height…) ends the iteration by throwing a BttApiError.
 */
export class Subscription implements AsyncIterable<StreamEvent> {
  private socket: WebSocketLike | undefined;
  private readonly queue: StreamEvent[] = [];
  private readonly waiting: Array<{
    resolve: (r: IteratorResult<StreamEvent>) => void;
    reject: (e: unknown) => void;
  }> = [];
  private failure: unknown;
  private closed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Where delivery started (given, or as the server acknowledged it). */
  private start: bigint | undefined;
  /** Height of the last event delivered. */
  private last: bigint | undefined;
  /** Hashes of the txs delivered at `last` (a txs subscription resumes at that height). */
  private seenAtLast = new Set<string>();
  private opened = 0;

  constructor(
    private readonly url: string,
    private readonly WebSocketImpl: WebSocketConstructor,
    readonly stream: Stream,
    private readonly filter: TxFilter | undefined,
    private readonly opts: SubscribeOptions = {},
  ) {
    if (opts.fromHeight !== undefined) this.start = BigInt(opts.fromHeight);
    this.connect();
  }

  /** Height the next (re)subscription asks for. */
  private resumeHeight(): bigint | undefined {
    if (this.last === undefined) return this.start;
    // Blocks come whole, so the next one is last + 1. A height's txs are several frames and the
    // connection may drop between them: resume at `last` and skip the hashes already delivered.
    return this.stream === "blocks" ? this.last + 1n : this.last;
  }

  private connect(): void {
    this.opened++;
    const ws = new this.WebSocketImpl(this.url);
    this.socket = ws;
    ws.onopen = () => {
      const from = this.resumeHeight();
      ws.send(
        JSON.stringify({
          op: "subscribe",
          id: SUBSCRIPTION_ID,
          stream: this.stream,
          ...(from === undefined ? {} : { from_height: from.toString() }),
          ...(this.filter ? { filter: this.filter } : {}),
        }),
      );
    };
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onerror = () => {
      // A close event follows; reconnecting is decided there.
    };
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.socket = undefined;
      if (this.closed) return;
      if (this.opts.reconnect === false) {
        this.fail(new BttApiError("NETWORK_ERROR", `subscription connection to ${this.url} closed`, 0));
        return;
      }
      const min = this.opts.minDelayMs ?? 100;
      const delay = Math.min(this.opts.maxDelayMs ?? 5000, min * 2 ** this.attempts++);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (!this.closed) this.connect();
      }, delay);
    };
  }

  private onMessage(data: unknown): void {
    let msg: Record<string, unknown>;
    try {
      const text = typeof data === "string" ? data : decoder.decode(data as ArrayBuffer | Uint8Array);
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      this.fail(new BttApiError("INVALID_RESPONSE", "subscription sent a frame that is not JSON", 0));
      return;
    }
    if (msg.id !== undefined && msg.id !== SUBSCRIPTION_ID) return;
    switch (msg.type) {
      case "subscribed":
        this.attempts = 0;
        if (this.start === undefined && typeof msg.from_height === "string")
          this.start = BigInt(msg.from_height);
        return;
      case "block": {
        const block = msg.block as BlockJson;
        const height = BigInt(block.height);
        if (this.last !== undefined && height <= this.last) return;
        this.last = height;
        this.push({ type: "block", height, block });
        return;
      }
      case "tx": {
        const tx = msg.tx as TxJson;
        const height = BigInt(msg.height as string);
        if (this.last !== undefined && height < this.last) return;
        if (height === this.last && this.seenAtLast.has(tx.hash)) return;
        if (height !== this.last) this.seenAtLast = new Set();
        this.seenAtLast.add(tx.hash);
        this.last = height;
        this.push({ type: "tx", height, tx });
        return;
      }
      case "error":
        this.fail(
          new BttApiError(
            String(msg.code ?? "INTERNAL"),
            String(msg.message ?? "subscription error"),
            0,
            (msg.details as Record<string, unknown>) ?? {},
          ),
        );
        return;
      default:
        return;
    }
  }

  private push(event: StreamEvent): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve({ value: event, done: false });
    else this.queue.push(event);
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.failure = err;
    this.shutdown();
    for (const w of this.waiting.splice(0)) w.reject(err);
  }

  private shutdown(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const ws = this.socket;
    this.socket = undefined;
    if (ws && ws.readyState <= OPEN) ws.close(1000, "done");
  }

  /** Stops the subscription; a pending `next()` resolves as done. */
  close(): void {
    if (this.closed) return;
    this.shutdown();
    for (const w of this.waiting.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Connections opened so far (1 + reconnects). */
  get connections(): number {
    return this.opened;
  }

  /** Height of the last event delivered, if any. */
  get lastHeight(): bigint | undefined {
    return this.last;
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    const event = this.queue.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    return {
      next: () => this.next(),
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
