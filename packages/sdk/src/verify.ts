// Checks of query results against the chain: the Merkle proof against the app hash, the app hash
// against the block header of that height, the header against its hash. Pure functions over the
// API's JSON, so they can be tested (and used) without a client.
import {
  type BlockHeader,
  BlockHeaderSchema,
  blockHash,
  bytesEqual,
  decodeAmount,
  decodeProof,
  type MerkleProof,
  toHex,
  txMerkleRoot,
  verifyProof,
} from "@btt/core";
import { balanceStateKey } from "@btt/modules/bank/keys";
import { create } from "@bufbuild/protobuf";
import type { BalanceJson, BlockJson, HeaderJson, StateJson } from "./api-types.ts";
import { ProofError } from "./errors.ts";

const HEX = /^([0-9a-f]{2})*$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const utf8 = new TextEncoder();

function malformed(field: string, what: string): never {
  throw new ProofError("RESPONSE_MALFORMED", `response field ${field} ${what}`, { field });
}

function hexField(value: unknown, field: string, length?: number): Uint8Array {
  if (typeof value !== "string" || !HEX.test(value)) malformed(field, "is not lowercase hex");
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
  if (length !== undefined && out.length !== length) malformed(field, `must have ${length} bytes`);
  return out;
}

function decimalField(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !DECIMAL.test(value)) malformed(field, "is not a decimal string");
  return BigInt(value);
}

/** A block header from its JSON form, every field checked. */
export function headerFromJson(h: HeaderJson): BlockHeader {
  if (typeof h !== "object" || h === null) malformed("header", "is missing");
  if (typeof h.chain_id !== "string") malformed("header.chain_id", "is not a string");
  if (typeof h.proposer !== "string") malformed("header.proposer", "is not a string");
  return create(BlockHeaderSchema, {
    chainId: h.chain_id,
    height: decimalField(h.height, "header.height"),
    timeMs: decimalField(h.time_ms, "header.time_ms"),
    previousHash: hexField(h.previous_hash, "header.previous_hash"),
    txRoot: hexField(h.tx_root, "header.tx_root"),
    appHash: hexField(h.app_hash, "header.app_hash"),
    resultsHash: hexField(h.results_hash, "header.results_hash"),
    proposer: h.proposer,
  });
}

export interface VerifiedHeader {
  header: BlockHeader;
  /** The block hash, recomputed from the header. */
  hash: Uint8Array;
}

/**
 * Checks a block's JSON is self-consistent: its header hashes to its `hash`, it is at `height`
 * (and on `chainId`, when given), and its tx hashes have the header's tx root.
 */
export function verifyBlock(
  block: BlockJson,
  expect: { height?: bigint; chainId?: string } = {},
): VerifiedHeader {
  if (typeof block !== "object" || block === null) malformed("block", "is missing");
  const header = headerFromJson(block.header);
  const hash = blockHash(header);
  if (!bytesEqual(hash, hexField(block.hash, "hash", 32))) {
    throw new ProofError("HEADER_MISMATCH", `block header does not hash to the block's hash ${block.hash}`, {
      claimed: block.hash,
      computed: toHex(hash),
    });
  }
  if (decimalField(block.height, "height") !== header.height) {
    throw new ProofError("HEADER_MISMATCH", "block height disagrees with its header");
  }
  if (expect.height !== undefined && header.height !== expect.height) {
    throw new ProofError(
      "HEADER_MISMATCH",
      `asked for the header of height ${expect.height}, got ${header.height}`,
    );
  }
  if (expect.chainId !== undefined && header.chainId !== expect.chainId) {
    throw new ProofError(
      "HEADER_MISMATCH",
      `block is on chain "${header.chainId}", expected "${expect.chainId}"`,
    );
  }
  if (!Array.isArray(block.tx_hashes)) malformed("tx_hashes", "is not an array");
  const txRoot = txMerkleRoot(block.tx_hashes.map((h, i) => hexField(h, `tx_hashes[${i}]`, 32)));
  if (!bytesEqual(txRoot, header.txRoot)) {
    throw new ProofError("HEADER_MISMATCH", "block's tx hashes do not have the header's tx root");
  }
  return { header, hash };
}

export interface ProvenEntry {
  /** Full state key (module prefix included). */
  key: Uint8Array;
  /** undefined: proven absent. */
  value: Uint8Array | undefined;
  height: bigint;
  appHash: Uint8Array;
  /** The block hash of `height`, recomputed from its header. */
  blockHash: Uint8Array;
}

/**
 * Verifies that `key` maps to `value` (or is absent) at `height`: `proofHex` against `appHashHex`,
 * and `appHashHex` against the header of that block. Throws ProofError saying which check failed.
 */
export function verifyStateEntry(
  entry: {
    key: Uint8Array;
    value: Uint8Array | undefined;
    height: bigint;
    appHashHex: unknown;
    proofHex: unknown;
  },
  block: BlockJson,
  chainId?: string,
): ProvenEntry {
  const appHash = hexField(entry.appHashHex, "app_hash", 32);
  const proofBytes = hexField(entry.proofHex, "proof");
  let proof: MerkleProof;
  try {
    proof = decodeProof(proofBytes);
  } catch (err) {
    throw new ProofError("PROOF_MALFORMED", `proof does not decode: ${(err as Error).message}`);
  }
  if (!verifyProof(appHash, entry.key, entry.value, proof)) {
    throw new ProofError(
      "PROOF_INVALID",
      `proof does not show key ${toHex(entry.key)} ${entry.value === undefined ? "absent" : "holding this value"} under app hash ${toHex(appHash)}`,
      { key: toHex(entry.key), app_hash: toHex(appHash) },
    );
  }
  const { header, hash } = verifyBlock(block, { height: entry.height, ...(chainId ? { chainId } : {}) });
  if (!bytesEqual(header.appHash, appHash)) {
    throw new ProofError(
      "APP_HASH_MISMATCH",
      `app hash ${toHex(appHash)} is not the app hash ${toHex(header.appHash)} of block ${entry.height}`,
      { app_hash: toHex(appHash), header_app_hash: toHex(header.appHash), height: entry.height.toString() },
    );
  }
  return { key: entry.key, value: entry.value, height: entry.height, appHash, blockHash: hash };
}

function mismatch(message: string, details: Record<string, unknown> = {}): never {
  throw new ProofError("RESPONSE_MISMATCH", message, details);
}

/** What a proven response (a balance, a state entry) says about its key, once checked. */
interface ProvenResponse {
  value: Uint8Array | undefined;
  height: bigint;
  appHash: string;
  blockHash: string;
}

/** Checks the proof a balance or state response carries for `key` against the block of its height. */
function verifyResponseProof(
  resp: Pick<StateJson, "height"> & Partial<Pick<StateJson, "value" | "app_hash" | "proof">>,
  key: Uint8Array,
  block: BlockJson,
  chainId: string | undefined,
): ProvenResponse {
  const value = resp.value === null || resp.value === undefined ? undefined : hexField(resp.value, "value");
  const proven = verifyStateEntry(
    {
      key,
      value,
      height: decimalField(resp.height, "height"),
      appHashHex: resp.app_hash,
      proofHex: resp.proof,
    },
    block,
    chainId,
  );
  return {
    value,
    height: proven.height,
    appHash: toHex(proven.appHash),
    blockHash: toHex(proven.blockHash),
  };
}

export interface VerifiedBalance {
  address: string;
  denom: string;
  amount: bigint;
  height: bigint;
  appHash: string;
  blockHash: string;
}

/** Verifies GET /v1/bank/balances/{address}/{denom}?prove=true against the block JSON of its height. */
export function verifyBalance(
  resp: BalanceJson,
  block: BlockJson,
  address: string,
  denom: string,
  chainId?: string,
): VerifiedBalance {
  if (resp.address !== address || resp.denom !== denom) {
    mismatch(`asked for ${address} ${denom}, got ${resp.address} ${resp.denom}`);
  }
  const key = balanceStateKey(address, denom);
  if (resp.key !== undefined && resp.key !== toHex(key)) {
    mismatch("response's state key is not the balance key of this address and denomination", {
      key: resp.key,
      expected: toHex(key),
    });
  }
  const amount = decimalField(resp.amount, "amount");
  const { value, ...proven } = verifyResponseProof(resp, key, block, chainId);
  if (value === undefined ? amount !== 0n : decodeAmount(value) !== amount) {
    mismatch(`amount ${resp.amount} is not what the proven value encodes`);
  }
  return { address, denom, amount, ...proven };
}

export interface VerifiedState {
  module: string;
  /** The key inside the module's prefix, hex. */
  key: string;
  value: Uint8Array | undefined;
  height: bigint;
  appHash: string;
  blockHash: string;
}

/** The full state key of `keyHex` inside `module`'s prefix ("<module>/" ‖ key). */
export function moduleStateKey(module: string, keyHex: string): Uint8Array {
  const prefix = utf8.encode(`${module}/`);
  const inner = hexField(keyHex.toLowerCase(), "key");
  const out = new Uint8Array(prefix.length + inner.length);
  out.set(prefix, 0);
  out.set(inner, prefix.length);
  return out;
}

/** Verifies GET /v1/state/{module}/{key} against the block JSON of its height. */
export function verifyState(
  resp: StateJson,
  block: BlockJson,
  module: string,
  keyHex: string,
  chainId?: string,
): VerifiedState {
  if (resp.module !== module || resp.key !== keyHex.toLowerCase()) {
    mismatch(`asked for ${module}/${keyHex}, got ${resp.module}/${resp.key}`);
  }
  const key = moduleStateKey(module, keyHex);
  if (resp.state_key !== undefined && resp.state_key !== toHex(key)) {
    mismatch("response's state key is not this module's key", {
      state_key: resp.state_key,
      expected: toHex(key),
    });
  }
  return { module, key: keyHex.toLowerCase(), ...verifyResponseProof(resp, key, block, chainId) };
}
