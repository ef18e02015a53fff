// The JSON shapes of blocks, txs, results and events (see README "Routes"), built from what the
// node stores, and their response schemas.
import {
  type BlockHeader,
  decodeTx,
  type Event,
  errorName,
  type JsonTx,
  type TxResult,
  toHex,
  txHash,
  txToJson,
} from "@btt/core";
import type { CommittedBlock, StoredTx } from "@btt/node";
import type { DescMessage } from "@bufbuild/protobuf";
import { Type } from "@sinclair/typebox";
import { EventView, TxResultView } from "./schemas.ts";

export interface EventJson {
  type: string;
  attributes: Array<{ key: string; value: string }>;
}

export function eventJson(e: Event): EventJson {
  return { type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value })) };
}

export interface TxResultJson {
  code: number;
  code_name: string;
  log: string;
  events: EventJson[];
}

export function txResultJson(r: TxResult): TxResultJson {
  return { code: r.code, code_name: errorName(r.code), log: r.log, events: r.events.map(eventJson) };
}

export function headerJson(h: BlockHeader) {
  return {
    chain_id: h.chainId,
    height: h.height.toString(),
    time_ms: h.timeMs.toString(),
    previous_hash: toHex(h.previousHash),
    tx_root: toHex(h.txRoot),
    app_hash: toHex(h.appHash),
    results_hash: toHex(h.resultsHash),
    proposer: h.proposer,
  };
}

export function blockJson(b: CommittedBlock, hashes?: readonly Uint8Array[]) {
  const header = b.block.header!;
  return {
    height: header.height.toString(),
    hash: toHex(b.hash),
    header: headerJson(header),
    tx_hashes: b.block.txs.map((tx, i) => toHex(hashes?.[i] ?? txHash(tx))),
    tx_results: b.results.txResults.map(txResultJson),
    begin_block_events: b.results.beginBlockEvents.map(eventJson),
    end_block_events: b.results.endBlockEvents.map(eventJson),
  };
}

export interface TxJson extends Partial<TxResultJson> {
  hash: string;
  status: "committed" | "pending";
  height?: string;
  index?: number;
  fee?: string;
  time_ms?: string;
  tx: JsonTx;
}

export function storedTxJson(s: StoredTx, types: Map<string, DescMessage>): TxJson {
  return {
    hash: toHex(s.hash),
    status: "committed",
    height: String(s.height),
    index: s.index,
    ...txResultJson(s.result),
    fee: s.result.fee || "0",
    time_ms: s.blockTimeMs.toString(),
    // A block may hold a tx that failed its ante checks for lacking a fee or a known message.
    tx: txToJson(decodeTx(s.tx, Number.MAX_SAFE_INTEGER).tx, types, { lenient: true }),
  };
}

export function committedTxJson(
  b: CommittedBlock,
  index: number,
  hash: Uint8Array,
  types: Map<string, DescMessage>,
): TxJson {
  return storedTxJson(
    {
      hash,
      height: Number(b.block.header!.height),
      index,
      tx: b.block.txs[index]!,
      result: b.results.txResults[index]!,
      blockTimeMs: b.block.header!.timeMs,
    },
    types,
  );
}

// ---- response schemas ----

export const HeaderSchema = Type.Object({
  chain_id: Type.String(),
  height: Type.String(),
  time_ms: Type.String({ description: "block time, ms since the Unix epoch" }),
  previous_hash: Type.String(),
  tx_root: Type.String(),
  app_hash: Type.String(),
  results_hash: Type.String(),
  proposer: Type.String(),
});

export const BlockSchema = Type.Object(
  {
    height: Type.String(),
    hash: Type.String(),
    header: HeaderSchema,
    tx_hashes: Type.Array(Type.String()),
    tx_results: Type.Array(TxResultView),
    begin_block_events: Type.Array(EventView),
    end_block_events: Type.Array(EventView),
  },
  { $id: "Block" },
);

const JsonTxOut = Type.Object({
  body: Type.Object({
    chain_id: Type.String(),
    sender: Type.String(),
    nonce: Type.String(),
    fee: Type.Object({ denom: Type.String(), amount: Type.String() }),
    messages: Type.Array(
      Type.Object({ type: Type.String(), value: Type.Record(Type.String(), Type.Unknown()) }),
    ),
    memo: Type.String(),
  }),
  public_key: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  signature: Type.String(),
});

export const TxSchema = Type.Object(
  {
    hash: Type.String(),
    status: Type.Union([Type.Literal("committed"), Type.Literal("pending")]),
    height: Type.Optional(Type.String()),
    index: Type.Optional(Type.Integer()),
    code: Type.Optional(Type.Integer()),
    code_name: Type.Optional(Type.String()),
    log: Type.Optional(Type.String()),
    fee: Type.Optional(Type.String({ description: "fee charged, in the fee denomination" })),
    events: Type.Optional(Type.Array(EventView)),
    time_ms: Type.Optional(Type.String()),
    tx: JsonTxOut,
  },
  { $id: "Tx" },
);
