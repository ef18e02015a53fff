import type { Socket } from "node:net";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { FrameError, FrameReader, frame } from "./framing.ts";

/** Answers one decoded request; may be asynchronous (CheckTx waits for signature checks). */
export type RequestHandler = (request: Request) => Response | Promise<Response>;

export type ConnectionLog = (
  entry: { level: "info" | "warn" | "error"; msg: string } & Record<string, unknown>,
) => void;

/** Frames of responses that never change (see `constantResponse`), encoded once. */
const constantFrames = new WeakMap<Response, Uint8Array>();

/**
 * Marks a response object that is returned again and again (CheckTx's "OK"): its frame is
 * encoded here once, and every connection writes those bytes instead of encoding it anew.
 * The object must not be changed afterwards.
 */
export function constantResponse(response: Response): Response {
  constantFrames.set(response, frame(Response.encode(response).finish()));
  return Object.freeze(response);
}

function frameOf(response: Response): Uint8Array {
  return constantFrames.get(response) ?? frame(Response.encode(response).finish());
}

/** A request's answer, filled in when its handler returns; slots leave in arrival order. */
interface Slot {
  out: Uint8Array | undefined;
}

/**
 * One of CometBFT's connections (consensus, mempool, query or snapshot: the protocol does
 * not say which, and each gets the same treatment). Requests are handled in the order they
 * arrive and their answers leave in that order, even when a later one finishes first. A
 * malformed frame or message closes the connection before its request reaches the handler.
 */
export class AbciConnection {
  private readonly reader: FrameReader;
  private readonly slots: Slot[] = [];
  private closed = false;
  /** A drain is scheduled for the end of this event-loop turn. */
  private drainScheduled = false;

  constructor(
    private readonly socket: Socket,
    private readonly handle: RequestHandler,
    private readonly log: ConnectionLog,
    readonly id: number,
    maxMessageBytes: number,
  ) {
    this.reader = new FrameReader(maxMessageBytes);
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("error", (err) =>
      this.log({ level: "warn", msg: "abci connection error", conn: id, error: err.message }),
    );
    socket.on("close", () => {
      this.closed = true;
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log({ level: "error", msg: "abci connection closed", conn: this.id, reason });
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let messages: Uint8Array[];
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      this.close(err instanceof FrameError ? `malformed frame: ${err.message}` : String(err));
      return;
    }
    for (const bytes of messages) {
      let request: Request;
      try {
        request = decodeRequest(bytes);
      } catch (err) {
        this.close(`malformed request: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      this.dispatch(request);
      if (this.closed) return;
    }
    this.drain();
  }

  private dispatch(request: Request): void {
    const slot: Slot = { out: undefined };
    this.slots.push(slot);
    let answer: Response | Promise<Response>;
    try {
      answer = this.handle(request);
    } catch (err) {
      answer = exception(err);
    }
    if (answer instanceof Promise) {
      answer.then(
        (r) => this.fill(slot, r),
        (err) => this.fill(slot, exception(err)),
      );
    } else {
      slot.out = frameOf(answer);
    }
  }

  /**
   * An asynchronous answer is ready. Answers often become ready in bursts (a batch of
   * signature checks settles many CheckTx at once): they are written together after the
   * burst, in one write, not one write (and one read on CometBFT's side) each.
   */
  private fill(slot: Slot, response: Response): void {
    slot.out = frameOf(response);
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Writes the answers that are ready at the head of the queue, in one write. */
  private drain(): void {
    if (this.closed) return;
    let n = 0;
    while (n < this.slots.length && this.slots[n]!.out !== undefined) n++;
    if (n === 0) return;
    const ready = this.slots.splice(0, n).map((s) => s.out!);
    this.socket.write(ready.length === 1 ? ready[0]! : Buffer.concat(ready));
  }
}

/** A Request with exactly one method set; anything else is malformed. */
export function decodeRequest(bytes: Uint8Array): Request {
  const request = Request.decode(bytes);
  const set = Object.values(request).filter((v) => v !== undefined).length;
  if (set !== 1) throw new Error(set === 0 ? "no method set" : `${set} methods set`);
  return request;
}

function exception(err: unknown): Response {
  return { exception: { error: err instanceof Error ? err.message : String(err) } };
}
