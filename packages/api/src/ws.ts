// WebSocket /v1/ws: subscriptions to committed blocks and to tx results (filtered by account,
// message type or event attribute), live or resumed from a height.
//
// Each subscription has one counter, `next`: the height it delivers next. A session's pump
// delivers `next` from the block feed while next <= the node's height, whether the block is old
// (replay) or was just committed (live): the same path for both, so a block committed during a
// replay is delivered once, in order, after the ones before it. New blocks only wake the pump.
// A client that falls behind (socket buffer full) is paused, not dropped, and catches up the same way.
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { BttError, toBttError } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import type { BlockFacts } from "./block-feed.ts";
import { describeValidation } from "./errors.ts";
import { Address, errorResponses, Height } from "./schemas.ts";
import type { ApiContext } from "./server.ts";
import { createValidators } from "./validation.ts";

/** Pause sending to a socket while this much is still unsent. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** Blocks delivered between yields to the event loop during a replay. */
const BLOCKS_PER_TURN = 8;

const SubscriptionId = Type.String({ minLength: 1, maxLength: 64, description: "1 to 64 characters" });

const Filter = Type.Object(
  {
    account: Type.Optional(Address),
    message_type: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    event: Type.Optional(
      Type.Object(
        {
          type: Type.String({ minLength: 1, maxLength: 128 }),
          key: Type.Optional(Type.String({ maxLength: 128 })),
          value: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const Subscribe = Type.Object(
  {
    op: Type.Literal("subscribe"),
    id: SubscriptionId,
    stream: Type.Union([Type.Literal("blocks"), Type.Literal("txs")], { description: '"blocks" or "txs"' }),
    from_height: Type.Optional(Height),
    filter: Type.Optional(Filter),
  },
  { additionalProperties: false },
);

const Unsubscribe = Type.Object(
  { op: Type.Literal("unsubscribe"), id: SubscriptionId },
  { additionalProperties: false },
);

const ClientMessage = {
  type: "object",
  required: ["op"],
  oneOf: [Subscribe, Unsubscribe],
  discriminator: { propertyName: "op" },
};

type SubscribeMsg = Static<typeof Subscribe>;
type Filter = Static<typeof Filter>;

interface Subscription {
  id: string;
  /** The id as JSON, spliced into every message. */
  idJson: string;
  stream: "blocks" | "txs";
  filter: Filter | undefined;
  next: number;
}

class Session {
  private readonly subs = new Map<string, Subscription>();
  private pumping = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ApiContext,
    private readonly validate: ReturnType<ReturnType<typeof createValidators>["strict"]["compile"]>,
  ) {}

  onMessage(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void {
    let msg: SubscribeMsg | Static<typeof Unsubscribe>;
    try {
      if (isBinary) throw new BttError("INVALID_REQUEST", "send JSON text frames, not binary ones");
      try {
        msg = JSON.parse(String(data));
      } catch (err) {
        throw new BttError("INVALID_REQUEST", `message is not valid JSON: ${(err as Error).message}`);
      }
      if (!this.validate(msg)) throw describeValidation("message", this.validate.errors ?? []);
    } catch (err) {
      this.sendError(undefined, err);
      return;
    }
    if (msg.op === "unsubscribe") {
      if (!this.subs.delete(msg.id)) {
        this.sendError(
          msg.id,
          new BttError("NOT_FOUND", `no subscription "${msg.id}"`, { field: "message.id" }),
        );
        return;
      }
      this.send(`{"id":${JSON.stringify(msg.id)},"type":"unsubscribed"}`);
      return;
    }
    this.subscribe(msg);
  }

  /** Wakes the pump (a block was committed, or a subscription added). */
  kick(): void {
    if (!this.pumping) void this.pump();
  }

  close(): void {
    this.subs.clear();
  }

  private subscribe(msg: SubscribeMsg): void {
    const { opts, feed } = this.ctx;
    if (this.subs.has(msg.id)) {
      this.sendError(
        msg.id,
        new BttError("INVALID_REQUEST", `subscription id "${msg.id}" is in use`, { field: "message.id" }),
      );
      return;
    }
    if (this.subs.size >= opts.wsMaxSubscriptions) {
      this.sendError(
        msg.id,
        new BttError("INVALID_REQUEST", `at most ${opts.wsMaxSubscriptions} subscriptions per connection`, {
          limit: opts.wsMaxSubscriptions,
        }),
      );
      return;
    }
    if (msg.stream === "blocks" && msg.filter) {
      this.sendError(
        msg.id,
        new BttError("INVALID_REQUEST", "message.filter applies to the txs stream only", {
          field: "message.filter",
        }),
      );
      return;
    }
    const next = msg.from_height === undefined ? feed.height + 1 : Number(msg.from_height);
    const idJson = JSON.stringify(msg.id);
    this.subs.set(msg.id, { id: msg.id, idJson, stream: msg.stream, filter: msg.filter, next });
    this.send(`{"id":${idJson},"type":"subscribed","stream":"${msg.stream}","from_height":"${next}"}`);
    this.kick();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    const { feed } = this.ctx;
    let delivered = 0;
    try {
      for (;;) {
        let progressed = false;
        for (const sub of this.subs.values()) {
          if (this.socket.readyState !== this.socket.OPEN) return;
          if (sub.next > feed.height) continue;
          if (this.socket.bufferedAmount > HIGH_WATER_BYTES) {
            await new Promise((r) => setTimeout(r, 20));
            progressed = true;
            break;
          }
          const facts = feed.at(sub.next);
          if (!facts) continue;
          this.deliver(sub, facts);
          sub.next++;
          progressed = true;
          if (++delivered % BLOCKS_PER_TURN === 0) {
            await yieldToLoop();
            break; // the subscriptions may have changed meanwhile
          }
        }
        if (!progressed) return;
      }
    } catch (err) {
      this.sendError(undefined, err);
    } finally {
      this.pumping = false;
    }
  }

  private deliver(sub: Subscription, facts: BlockFacts): void {
    if (sub.stream === "blocks") {
      this.send(`{"id":${sub.idJson},"type":"block","block":${facts.blockJsonText()}}`);
      return;
    }
    for (let i = 0; i < facts.txCount; i++) {
      if (sub.filter && !matches(sub.filter, facts, i)) continue;
      this.send(`{"id":${sub.idJson},"type":"tx","height":"${facts.height}","tx":${facts.txJsonText(i)}}`);
    }
  }

  private send(text: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(text);
  }

  private sendError(id: string | undefined, err: unknown): void {
    const e = toBttError(err);
    const message = e.code === "INTERNAL" ? "internal error; see the node's log" : e.message;
    this.send(
      JSON.stringify({
        ...(id === undefined ? {} : { id }),
        type: "error",
        code: e.code,
        message,
        details: e.details,
      }),
    );
  }
}

function matches(filter: Filter, facts: BlockFacts, i: number): boolean {
  const events = facts.block.results.txResults[i]!.events;
  if (filter.account !== undefined) {
    const account = filter.account;
    const touched =
      facts.decoded(i)?.body.sender === account ||
      events.some((e) => e.attributes.some((a) => a.value === account));
    if (!touched) return false;
  }
  if (filter.message_type !== undefined) {
    const type = filter.message_type;
    if (!facts.decoded(i)?.body.messages.some((m) => m.type === type)) return false;
  }
  if (filter.event !== undefined) {
    const { type, key, value } = filter.event;
    const found = events.some(
      (e) =>
        e.type === type &&
        (key === undefined ||
          e.attributes.some((a) => a.key === key && (value === undefined || a.value === value))),
    );
    if (!found) return false;
  }
  return true;
}

export async function wsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const validate = createValidators().strict.compile(ClientMessage);
  const sessions = new Set<Session>();
  const stopFeed = ctx.feed.onBlock(() => {
    for (const s of sessions) s.kick();
  });
  app.addHook("onClose", (_app, done) => {
    stopFeed();
    done();
  });

  app.route({
    method: "GET",
    url: "/ws",
    schema: {
      tags: ["events"],
      summary: "WebSocket: subscribe to blocks and tx results",
      description:
        "Upgrade to a WebSocket, then send JSON text frames (≤ the message limit, default 64 KiB): " +
        '{"op":"subscribe","id","stream":"blocks"|"txs","from_height"?,"filter"?:{"account"?,"message_type"?,' +
        '"event"?:{"type","key"?,"value"?}}} and {"op":"unsubscribe","id"}. A plain GET (no upgrade) gets 426. ' +
        "See the package README.",
      response: errorResponses,
    },
    // A plain GET (no Upgrade header).
    handler: async (_request, reply) => {
      reply.code(426).header("upgrade", "websocket");
      return {
        code: "INVALID_REQUEST",
        message: "this endpoint speaks WebSocket: send an upgrade request",
        details: {},
      };
    },
    wsHandler: (socket, _request) => {
      const session = new Session(socket, ctx, validate);
      sessions.add(session);
      socket.on("message", (data, isBinary) => session.onMessage(data, isBinary));
      socket.on("close", () => {
        sessions.delete(session);
        session.close();
      });
    },
  });
}
