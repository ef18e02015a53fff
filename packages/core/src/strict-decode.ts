import type { MsgSend } from "./gen/btt/bank/v1/bank_pb.ts";
import type { Coin, Msg, MultisigKey, PublicKey, Tx, TxBody } from "./gen/btt/tx/v1/tx_pb.ts";

/**
 * A strict decoder for the transaction envelope: it accepts exactly the bytes that
 * protobuf-es's `toBinary` writes for a Tx (fields in number order, no unknown fields,
 * no default-valued scalars, minimal varints, valid UTF-8) and nothing else. Decoding
 * and re-encoding through the reflection-based library to prove canonical form costs
 * ~12 µs per transaction on the hottest path of the node; this costs ~2 µs. Its
 * agreement with the library is property-tested (strict-decode.test.ts).
 */
export class NonCanonicalError extends Error {}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const LEN = 2;
const VARINT = 0;
/** The default of a message's bytes field that is not written (shared: nothing can change it). */
const EMPTY = new Uint8Array(0);

class StrictReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A minimal varint of at most 64 bits. */
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new NonCanonicalError("truncated varint");
      const byte = this.buf[this.pos++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new NonCanonicalError("varint is not minimal");
        if (result >= 1n << 64n) throw new NonCanonicalError("varint exceeds 64 bits");
        return result;
      }
      shift += 7n;
    }
    throw new NonCanonicalError("varint is too long");
  }

  /** A minimal varint that fits a safe integer (tags, lengths, uint32). */
  small(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new NonCanonicalError("truncated varint");
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) {
        if (byte === 0 && i > 0) throw new NonCanonicalError("varint is not minimal");
        if (result > 0xffffffff) throw new NonCanonicalError("varint exceeds 32 bits");
        return result;
      }
      multiplier *= 128;
    }
    throw new NonCanonicalError("varint is too long");
  }

  /** The next field's number, checking its wire type and that fields come in order. */
  field(previous: number, fields: FieldTable): number {
    const tag = this.small();
    const number = tag >>> 3;
    const expected = fields.wireTypes[number];
    if (expected === undefined) throw new NonCanonicalError(`unknown field ${number}`);
    if ((tag & 7) !== expected) throw new NonCanonicalError(`field ${number} has the wrong wire type`);
    if (number < previous || (number === previous && number !== fields.repeated)) {
      throw new NonCanonicalError(`field ${number} is out of order or repeated`);
    }
    return number;
  }

  /** A length-delimited field: its length is read, `pos` moves past it; returns where it starts. */
  span(): number {
    const length = this.small();
    const start = this.pos;
    if (length > this.end - start) throw new NonCanonicalError("length exceeds the message");
    this.pos = start + length;
    return start;
  }

  bytes(allowEmpty: boolean): Uint8Array {
    const start = this.span();
    if (!allowEmpty && start === this.pos) throw new NonCanonicalError("empty bytes field is written");
    return this.buf.subarray(start, this.pos);
  }

  string(): string {
    const start = this.span();
    const end = this.pos;
    if (start === end) throw new NonCanonicalError("empty string field is written");
    const ascii = asciiString(this.buf, start, end);
    if (ascii !== undefined) return ascii;
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      throw new NonCanonicalError("string is not valid UTF-8");
    }
  }

  sub(): StrictReader {
    const start = this.span();
    return new StrictReader(this.buf, start, this.pos);
  }
}

/** A message's fields: the wire type of each field number, and the one repeated field (or 0). */
interface FieldTable {
  readonly wireTypes: readonly (number | undefined)[];
  readonly repeated: number;
}

function fieldTable(wireTypes: Record<number, number>, repeated = 0): FieldTable {
  const table: (number | undefined)[] = [];
  for (const [number, wireType] of Object.entries(wireTypes)) table[Number(number)] = wireType;
  return { wireTypes: table, repeated };
}

const TX_FIELDS = fieldTable({ 1: LEN, 2: LEN, 3: LEN });
const BODY_FIELDS = fieldTable({ 1: LEN, 2: LEN, 3: VARINT, 4: LEN, 5: LEN, 6: LEN }, 5);
const COIN_FIELDS = fieldTable({ 1: LEN, 2: LEN });
const MSG_FIELDS = fieldTable({ 1: LEN, 2: LEN });
const PUBLIC_KEY_FIELDS = fieldTable({ 1: LEN, 2: LEN, 3: LEN });
const MULTISIG_FIELDS = fieldTable({ 1: VARINT, 2: LEN }, 2);
const MSG_SEND_FIELDS = fieldTable({ 1: LEN, 2: LEN }, 2);

// Short ASCII strings (chain ids, addresses, denominations, amounts, type names) are most of what a
// tx holds: read as latin1, which for ASCII bytes is the same text, without TextDecoder's overhead.
// Node's Buffer has the native reader; in a browser (the SDK decodes txs too) TextDecoder it is.
type Latin1Slice = (this: Uint8Array, start: number, end: number) => string;
const latin1Slice: Latin1Slice | undefined =
  typeof Buffer === "undefined"
    ? undefined
    : (Buffer.prototype as unknown as { latin1Slice: Latin1Slice }).latin1Slice;
const ASCII_FAST_PATH_MAX = 256;

function asciiString(buf: Uint8Array, start: number, end: number): string | undefined {
  if (latin1Slice === undefined || end - start > ASCII_FAST_PATH_MAX) return undefined;
  for (let i = start; i < end; i++) if (buf[i]! > 0x7f) return undefined;
  return latin1Slice.call(buf, start, end);
}

export function decodeTxStrict(bytes: Uint8Array): Tx {
  const r = new StrictReader(bytes, 0, bytes.length);
  const tx: Tx = {
    $typeName: "btt.tx.v1.Tx",
    body: undefined,
    publicKey: undefined,
    signature: new Uint8Array(0),
  };
  let last = 0;
  while (!r.done()) {
    last = r.field(last, TX_FIELDS);
    if (last === 1) tx.body = readBody(r.sub());
    else if (last === 2) tx.publicKey = readPublicKey(r.sub());
    else tx.signature = r.bytes(false);
  }
  return tx;
}

function readBody(r: StrictReader): TxBody {
  const body: TxBody = {
    $typeName: "btt.tx.v1.TxBody",
    chainId: "",
    sender: "",
    nonce: 0n,
    fee: undefined,
    messages: [],
    memo: "",
  };
  let last = 0;
  while (!r.done()) {
    last = r.field(last, BODY_FIELDS);
    switch (last) {
      case 1:
        body.chainId = r.string();
        break;
      case 2:
        body.sender = r.string();
        break;
      case 3:
        body.nonce = r.varint();
        if (body.nonce === 0n) throw new NonCanonicalError("zero nonce is written");
        break;
      case 4:
        body.fee = readCoin(r.sub());
        break;
      case 5:
        body.messages.push(readMsg(r.sub()));
        break;
      default:
        body.memo = r.string();
    }
  }
  return body;
}

function readCoin(r: StrictReader): Coin {
  const coin: Coin = { $typeName: "btt.tx.v1.Coin", denom: "", amount: "" };
  let last = 0;
  while (!r.done()) {
    last = r.field(last, COIN_FIELDS);
    if (last === 1) coin.denom = r.string();
    else coin.amount = r.string();
  }
  return coin;
}

function readMsg(r: StrictReader): Msg {
  const msg: Msg = { $typeName: "btt.tx.v1.Msg", type: "", value: EMPTY };
  let last = 0;
  while (!r.done()) {
    last = r.field(last, MSG_FIELDS);
    if (last === 1) msg.type = r.string();
    else msg.value = r.bytes(false);
  }
  return msg;
}

function readPublicKey(r: StrictReader): PublicKey {
  const key: PublicKey = { $typeName: "btt.tx.v1.PublicKey", key: { case: undefined } };
  if (r.done()) return key;
  // Nested multisig keys decode here and are refused by validatePublicKey, with a clear message.
  const field = r.field(0, PUBLIC_KEY_FIELDS);
  // A oneof member is written even when empty: that is its presence.
  if (field === 1) key.key = { case: "ed25519", value: r.bytes(true) };
  else if (field === 2) key.key = { case: "mlDsa65", value: r.bytes(true) };
  else key.key = { case: "multisig", value: readMultisig(r.sub()) };
  if (!r.done()) throw new NonCanonicalError("public key sets more than one key");
  return key;
}

function readMultisig(r: StrictReader): MultisigKey {
  const multisig: MultisigKey = { $typeName: "btt.tx.v1.MultisigKey", threshold: 0, keys: [] };
  let last = 0;
  while (!r.done()) {
    last = r.field(last, MULTISIG_FIELDS);
    if (last === 1) {
      multisig.threshold = r.small();
      if (multisig.threshold === 0) throw new NonCanonicalError("zero threshold is written");
    } else {
      multisig.keys.push(readPublicKey(r.sub()));
    }
  }
  return multisig;
}

/**
 * bank/Send's value when it is in canonical form (as `toBinary` writes it), else undefined
 * (the caller then decodes it with protobuf-es). Transfers are most of a busy chain's txs:
 * this is ~5× faster than the reflective decoder and allocates only the message itself.
 */
export function decodeMsgSendCanonical(bytes: Uint8Array): MsgSend | undefined {
  try {
    const r = new StrictReader(bytes, 0, bytes.length);
    const send: MsgSend = { $typeName: "btt.bank.v1.MsgSend", to: "", amount: [] };
    let last = 0;
    while (!r.done()) {
      last = r.field(last, MSG_SEND_FIELDS);
      if (last === 1) send.to = r.string();
      else send.amount.push(readCoin(r.sub()));
    }
    return send;
  } catch (err) {
    if (err instanceof NonCanonicalError) return undefined;
    throw err;
  }
}
