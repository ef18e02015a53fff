/**
 * Merkle proofs of the authenticated state (@btt/state): their verification and compact binary
 * form. Protocol shared by the node, which builds proofs, and clients, which check them; so it
 * lives here, platform-neutral.
 *
 * The state is a 16-ary sparse Merkle tree over SHA-256(key):
 *   leaf = SHA-256(0x00 ‖ keyHash ‖ SHA-256(value)),
 *   node = SHA-256(0x01 ‖ u16 BE child bitmap ‖ child hashes in nibble order),
 *   empty tree = 32 zero bytes.
 * A proof lists the internal nodes on the key-hash path from the root down: for each, its child
 * bitmap and the hashes of the children not on the path, in nibble order. The path ends at
 * - "key":   the leaf of the proven key (inclusion; the verifier hashes key and value itself),
 * - "empty": an empty child slot of the last node, or an empty tree (exclusion),
 * - "other": a leaf of another key sharing the path; it carries that leaf's key hash and value
 *            hash (exclusion: that leaf alone occupies the only place the key could be).
 */
import { bytesEqual, sha256 } from "#platform";

export interface ProofStep {
  /** Bit i set = child with nibble i present. */
  readonly bitmap: number;
  /** Hashes of the present children except the one on the path (all of them at an empty-slot end). */
  readonly siblings: readonly Uint8Array[];
}

export type ProofTerminal =
  | { readonly type: "key" }
  | { readonly type: "empty" }
  | { readonly type: "other"; readonly keyHash: Uint8Array; readonly valueHash: Uint8Array };

export interface MerkleProof {
  /** Internal nodes on the path, root first. */
  readonly steps: readonly ProofStep[];
  readonly terminal: ProofTerminal;
}

/** Root of the empty state tree. */
export const EMPTY_ROOT: Uint8Array = new Uint8Array(32);

/** A key hash has 64 nibbles, so a path has at most 64 internal nodes. */
export const MAX_PROOF_DEPTH = 64;

/** decodeProof's error: the bytes are not a proof. */
export class MalformedProofError extends Error {
  readonly code = "PROOF_MALFORMED";

  constructor(why: string) {
    super(`PROOF_MALFORMED: ${why}`);
    this.name = "MalformedProofError";
  }
}

function nibbleAt(h: Uint8Array, i: number): number {
  const b = h[i >> 1]!;
  return i & 1 ? b & 15 : b >> 4;
}

function samePrefix(a: Uint8Array, b: Uint8Array, nibbles: number): boolean {
  const full = nibbles >> 1;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  return !(nibbles & 1) || a[full]! >> 4 === b[full]! >> 4;
}

function popcount16(x: number): number {
  x = x - ((x >>> 1) & 0x5555);
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

function leafHashOf(keyHash: Uint8Array, valueHash: Uint8Array): Uint8Array {
  const b = new Uint8Array(65);
  b.set(keyHash, 1);
  b.set(valueHash, 33);
  return sha256(b);
}

/** Hash of an internal node from its bitmap, the siblings and (at nibble `nib`, unless -1) the path child. */
function nodeHash(
  bitmap: number,
  siblings: readonly Uint8Array[],
  nib: number,
  child: Uint8Array | null,
): Uint8Array {
  const n = popcount16(bitmap);
  if (bitmap <= 0 || bitmap > 0xffff || siblings.length !== (nib < 0 ? n : n - 1)) throw new Error("shape");
  const b = new Uint8Array(3 + 32 * n);
  b[0] = 0x01;
  b[1] = bitmap >>> 8;
  b[2] = bitmap & 0xff;
  let s = 0;
  let off = 3;
  for (let i = 0; i < 16; i++) {
    if (!(bitmap & (1 << i))) continue;
    const h = i === nib ? child! : siblings[s++]!;
    if (h.length !== 32) throw new Error("hash length");
    b.set(h, off);
    off += 32;
  }
  return sha256(b);
}

/**
 * Check `proof` for `key` against `root`: with `value` it proves the key maps to value, with
 * `value === undefined` it proves the key is absent. Never throws; malformed input gives false.
 */
export function verifyProof(
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | undefined,
  proof: MerkleProof,
): boolean {
  try {
    if (root.length !== 32) return false;
    const steps = proof.steps;
    const d = steps.length;
    if (d > MAX_PROOF_DEPTH) return false;
    const kh = sha256(key);
    const t = proof.terminal;
    let cur: Uint8Array;
    let from = d - 1;
    if (value !== undefined) {
      if (t.type !== "key") return false;
      cur = leafHashOf(kh, sha256(value));
    } else if (t.type === "other") {
      if (t.keyHash.length !== 32 || t.valueHash.length !== 32) return false;
      if (bytesEqual(t.keyHash, kh) || !samePrefix(t.keyHash, kh, d)) return false;
      cur = leafHashOf(t.keyHash, t.valueHash);
    } else if (t.type === "empty") {
      if (d === 0) return bytesEqual(root, EMPTY_ROOT);
      const last = steps[d - 1]!;
      if (last.bitmap & (1 << nibbleAt(kh, d - 1))) return false;
      cur = nodeHash(last.bitmap, last.siblings, -1, null);
      from = d - 2;
    } else {
      return false;
    }
    for (let i = from; i >= 0; i--) {
      const s = steps[i]!;
      const nib = nibbleAt(kh, i);
      if (!(s.bitmap & (1 << nib))) return false;
      cur = nodeHash(s.bitmap, s.siblings, nib, cur);
    }
    return bytesEqual(cur, root);
  } catch {
    return false;
  }
}

// ---- binary form ----
// u8 terminal (0 key, 1 empty, 2 other) | u8 step count | per step: u16 BE bitmap, siblings (32 each)
// | for "other": keyHash(32) valueHash(32). Sibling counts follow from the bitmaps; nothing is padded.

const T_KEY = 0;
const T_EMPTY = 1;
const T_OTHER = 2;

export function encodeProof(p: MerkleProof): Uint8Array {
  const code = p.terminal.type === "key" ? T_KEY : p.terminal.type === "empty" ? T_EMPTY : T_OTHER;
  let len = 2 + (code === T_OTHER ? 64 : 0);
  for (const s of p.steps) len += 2 + 32 * s.siblings.length;
  const out = new Uint8Array(len);
  out[0] = code;
  out[1] = p.steps.length;
  let off = 2;
  for (const s of p.steps) {
    out[off] = s.bitmap >>> 8;
    out[off + 1] = s.bitmap & 0xff;
    off += 2;
    for (const h of s.siblings) {
      out.set(h, off);
      off += 32;
    }
  }
  if (p.terminal.type === "other") {
    out.set(p.terminal.keyHash, off);
    out.set(p.terminal.valueHash, off + 32);
  }
  return out;
}

function malformed(why: string): never {
  throw new MalformedProofError(why);
}

/** Strict inverse of encodeProof: rejects unknown codes, zero bitmaps and any missing or extra byte. */
export function decodeProof(b: Uint8Array): MerkleProof {
  if (b.length < 2) malformed("too short");
  const code = b[0]!;
  const d = b[1]!;
  if (code > T_OTHER) malformed("unknown terminal");
  if (d > MAX_PROOF_DEPTH) malformed("too many steps");
  const steps: ProofStep[] = [];
  let off = 2;
  for (let i = 0; i < d; i++) {
    if (off + 2 > b.length) malformed("truncated");
    const bitmap = (b[off]! << 8) | b[off + 1]!;
    off += 2;
    if (bitmap === 0) malformed("empty bitmap");
    const count = popcount16(bitmap) - (i === d - 1 && code === T_EMPTY ? 0 : 1);
    if (off + 32 * count > b.length) malformed("truncated");
    const siblings: Uint8Array[] = [];
    for (let k = 0; k < count; k++, off += 32) siblings.push(b.slice(off, off + 32));
    steps.push({ bitmap, siblings });
  }
  let terminal: ProofTerminal;
  if (code === T_OTHER) {
    if (off + 64 > b.length) malformed("truncated");
    terminal = { type: "other", keyHash: b.slice(off, off + 32), valueHash: b.slice(off + 32, off + 64) };
    off += 64;
  } else {
    terminal = code === T_KEY ? { type: "key" } : { type: "empty" };
  }
  if (off !== b.length) malformed("trailing bytes");
  return { steps, terminal };
}
