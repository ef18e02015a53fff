// GET /v1/events: events newest first, found by scanning block results. There is no event index
// (writing one per event would slow every commit), so a page scans at most EVENT_SCAN_BLOCKS
// blocks: it can hold fewer than `limit` events, even none, while `next_cursor` says where the
// scan goes on. The list ends when `next_cursor` is absent.
import { BttError, type Event, toHex, txHash } from "@btt/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { EventView, errorResponses, PageQuery } from "../schemas.ts";
import type { ApiContext } from "../server.ts";
import { eventJson } from "../views.ts";

export const EVENT_SCAN_BLOCKS = 100;
/** A cursor position meaning "the whole block". */
const WHOLE_BLOCK = 0xffffffff;

const EventsQuery = Type.Object(
  {
    type: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'an event type, e.g. "bank/transfer"' }),
    ),
    attr: Type.Optional(
      Type.String({
        pattern: "^[^:]{1,128}:.{0,1024}$",
        description: '"key:value": only events with this attribute (e.g. "recipient:btt1…")',
      }),
    ),
    ...PageQuery,
  },
  { additionalProperties: false },
);

const EventOut = Type.Object({
  height: Type.String(),
  source: Type.Union([Type.Literal("begin_block"), Type.Literal("tx"), Type.Literal("end_block")]),
  tx_hash: Type.Optional(Type.String()),
  tx_index: Type.Optional(Type.Integer()),
  ...EventView.properties,
});

type EventOutJson = Static<typeof EventOut>;

/** Cursor = base64url("<height>.<position>"): continue with the events before that position. */
function encodeEventCursor(height: number, position: number): string {
  return Buffer.from(`${height}.${position}`).toString("base64url");
}

function decodeEventCursor(cursor: string): { height: number; position: number } {
  const text = Buffer.from(cursor, "base64url").toString("latin1");
  const m = /^([1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,9})$/.exec(text);
  if (!m || Buffer.from(text).toString("base64url") !== cursor) {
    throw new BttError("INVALID_REQUEST", "query.cursor is not a cursor of this list", {
      field: "query.cursor",
    });
  }
  return { height: Number(m[1]), position: Number(m[2]) };
}

export async function eventRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;
  app.get<{ Querystring: Static<typeof EventsQuery> }>(
    "/events",
    {
      schema: {
        tags: ["events"],
        summary: "Events newest first, by type and attribute",
        description:
          `Scans block results newest first, at most ${EVENT_SCAN_BLOCKS} blocks per page: a page may hold fewer ` +
          "than `limit` events (even none) while next_cursor is present. The list ends when next_cursor is absent.",
        querystring: EventsQuery,
        response: {
          200: Type.Object({ events: Type.Array(EventOut), next_cursor: Type.Optional(Type.String()) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { type, attr, limit = 20, cursor } = request.query;
      const colon = attr?.indexOf(":") ?? -1;
      const attrKey = attr === undefined ? undefined : attr.slice(0, colon);
      const attrValue = attr === undefined ? undefined : attr.slice(colon + 1);
      const matches = (e: Event) =>
        (type === undefined || e.type === type) &&
        (attrKey === undefined || e.attributes.some((a) => a.key === attrKey && a.value === attrValue));

      const start = cursor ? decodeEventCursor(cursor) : { height: node.height, position: WHOLE_BLOCK };
      const events: EventOutJson[] = [];
      let height = Math.min(start.height, node.height);
      let before = height === start.height ? start.position : WHOLE_BLOCK;
      for (let scanned = 0; height >= 1 && scanned < EVENT_SCAN_BLOCKS; scanned++, height--) {
        const block = node.ledger.blocks.block(height);
        if (!block) break;
        const h = String(height);
        // Positions in block order: begin-block events, each tx's events, end-block events.
        const { beginBlockEvents, txResults, endBlockEvents } = block.results;
        const txEvents = txResults.reduce((n, r) => n + r.events.length, 0);
        let position = beginBlockEvents.length + txEvents + endBlockEvents.length;
        const take = (e: Event, out: () => EventOutJson): boolean => {
          position--;
          if (position >= before || !matches(e)) return false;
          events.push(out());
          return events.length === limit;
        };
        let full = false;
        for (let i = endBlockEvents.length - 1; i >= 0 && !full; i--) {
          const e = endBlockEvents[i]!;
          full = take(e, () => ({ height: h, source: "end_block", ...eventJson(e) }));
        }
        for (let t = txResults.length - 1; t >= 0 && !full; t--) {
          const txEventsOf = txResults[t]!.events;
          for (let i = txEventsOf.length - 1; i >= 0 && !full; i--) {
            const e = txEventsOf[i]!;
            full = take(e, () => ({
              height: h,
              source: "tx",
              tx_hash: toHex(txHash(block.block.txs[t]!)),
              tx_index: t,
              ...eventJson(e),
            }));
          }
        }
        for (let i = beginBlockEvents.length - 1; i >= 0 && !full; i--) {
          const e = beginBlockEvents[i]!;
          full = take(e, () => ({ height: h, source: "begin_block", ...eventJson(e) }));
        }
        if (full) {
          if (position > 0) return { events, next_cursor: encodeEventCursor(height, position) };
          return height > 1
            ? { events, next_cursor: encodeEventCursor(height - 1, WHOLE_BLOCK) }
            : { events };
        }
        before = WHOLE_BLOCK;
      }
      return height >= 1 ? { events, next_cursor: encodeEventCursor(height, WHOLE_BLOCK) } : { events };
    },
  );
}
