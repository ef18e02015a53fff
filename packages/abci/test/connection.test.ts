import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { describe, expect, it } from "vitest";
import { AbciConnection, constantResponse } from "../src/connection.ts";
import { FrameReader, frame } from "../src/framing.ts";

/** A socket stand-in that records each write (the connection only reads, writes and destroys). */
class RecordingSocket extends EventEmitter {
  readonly writes: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return true;
  }
  setNoDelay(): this {
    return this;
  }
  destroy(): this {
    return this;
  }
}

const requestBytes = (...requests: Request[]) =>
  Buffer.concat(requests.map((r) => frame(Request.encode(r).finish())));

function responsesOf(writes: Uint8Array[]): Response[] {
  const reader = new FrameReader(1 << 20);
  return writes.flatMap((w) => reader.push(Buffer.from(w))).map((m) => Response.decode(m));
}

/** A connection whose Echo answers wait until the test settles them (settle[i] answers request i). */
function deferredEchoConnection(): { socket: RecordingSocket; settle: Array<() => void> } {
  const socket = new RecordingSocket();
  const settle: Array<() => void> = [];
  new AbciConnection(
    socket as unknown as Socket,
    (req) =>
      new Promise<Response>((resolve) => {
        settle.push(() => resolve({ echo: { message: req.echo!.message } }));
      }),
    () => {},
    1,
    1 << 20,
  );
  return { socket, settle };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("AbciConnection", () => {
  it("writes answers that settle together in one write, in request order", async () => {
    const { socket, settle } = deferredEchoConnection();
    socket.emit("data", requestBytes(...["a", "b", "c"].map((message) => ({ echo: { message } }))));
    expect(settle).toHaveLength(3);
    // Settled out of order, in one burst: one write after the burst, answers in request order.
    settle[2]!();
    settle[0]!();
    settle[1]!();
    expect(socket.writes).toHaveLength(0);
    await nextTurn();
    await nextTurn();
    expect(socket.writes).toHaveLength(1);
    expect(responsesOf(socket.writes).map((r) => r.echo?.message)).toEqual(["a", "b", "c"]);
  });

  it("holds a settled answer until every earlier one is ready", async () => {
    const { socket, settle } = deferredEchoConnection();
    socket.emit("data", requestBytes({ echo: { message: "first" } }, { echo: { message: "second" } }));
    settle[1]!();
    await nextTurn();
    await nextTurn();
    expect(socket.writes).toHaveLength(0);
    settle[0]!();
    await nextTurn();
    await nextTurn();
    expect(responsesOf(socket.writes).map((r) => r.echo?.message)).toEqual(["first", "second"]);
  });

  it("a constant response is written as the bytes its encoding gives", () => {
    const socket = new RecordingSocket();
    const ok = constantResponse({
      checkTx: {
        code: 0,
        data: new Uint8Array(0),
        log: "",
        info: "",
        gasWanted: 0n,
        gasUsed: 0n,
        events: [],
        codespace: "",
      },
    });
    expect(Object.isFrozen(ok)).toBe(true);
    new AbciConnection(
      socket as unknown as Socket,
      () => ok,
      () => {},
      1,
      1 << 20,
    );
    socket.emit("data", requestBytes({ echo: { message: "x" } }, { echo: { message: "y" } }));
    expect(socket.writes).toHaveLength(1);
    expect(Buffer.from(socket.writes[0]!)).toEqual(
      Buffer.concat([frame(Response.encode(ok).finish()), frame(Response.encode(ok).finish())]),
    );
  });
});
