// Selective disclosure (browser-safe: @noble/hashes only). A record's fields become salted leaves
// of a binary Merkle tree whose root the owner commits on chain (records/SetDisclosureRoot); the
// owner later shows a chosen subset of fields with the sibling hashes needed to rebuild the root,
// and nothing about the others except how many there are and where the shown ones sit.
//
//   leaf  = SHA-256("btt/disclosure/leaf/v1" 0x00 ‖ name ‖ 0x00 ‖ value ‖ salt(32))
//   node  = SHA-256("btt/disclosure/node/v1" 0x00 ‖ left ‖ right)
//   root  = SHA-256("btt/disclosure/root/v1" 0x00 ‖ u32 BE field count ‖ top node)
//
// Fields are sorted by name (JavaScript string order). Names are 1–128 characters without NUL, so
// name ‖ 0x00 ‖ value ‖ salt (a fixed 32 bytes at the end) splits one way only. Odd counts: the
// last node of a level with an odd number of nodes moves up unchanged (never paired with itself,
// so two different field lists cannot share a tree); the count in the root pins the tree's shape.
// The random salt is what keeps a hidden low-entropy value ("HIV: negative") from being guessed
// by hashing candidates against a sibling hash.

import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, hexToBytes, randomBytes } from "@noble/hashes/utils.js";
import { BttError } from "./errors.ts";

const utf8 = new TextEncoder();
const LEAF_DOMAIN = utf8.encode("btt/disclosure/leaf/v1\0");
const NODE_DOMAIN = utf8.encode("btt/disclosure/node/v1\0");
const ROOT_DOMAIN = utf8.encode("btt/disclosure/root/v1\0");
const SALT_BYTES = 32;
const HEX32 = /^[0-9a-f]{64}$/;

/** Most fields one record may commit. */
export const MAX_DISCLOSURE_FIELDS = 4096;
export const DISCLOSURE_VERSION = 1;

/** One field with its salt (hex): what the owner keeps, and what a disclosure reveals. */
export interface SaltedField {
  name: string;
  value: string;
  salt: string;
}

/** The owner's side of a commitment: keep it private (the salts open every field). */
export interface FieldCommitment {
  version: 1;
  /** The tree root, hex: what goes on chain. */
  root: string;
  /** Sorted by name. */
  fields: SaltedField[];
  /** Leaf hashes, hex, in field order. */
  leaves: string[];
}

/** What a verifier receives: the chosen fields and the sibling hashes that rebuild the root. */
export interface Disclosure {
  version: 1;
  root: string;
  /** How many fields the record committed (the tree's shape). */
  leaf_count: number;
  /** Ascending by index (and so by name). */
  disclosed: Array<SaltedField & { index: number }>;
  /** The multiproof: sibling hashes, level by level, left to right. */
  proof: string[];
  /** The record whose on-chain root this is checked against (set by the CLI; not verified here). */
  record_id?: string;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function requireName(name: string): void {
  if (typeof name !== "string" || name.length === 0 || name.length > 128 || name.includes("\0")) {
    throw new BttError(
      "INVALID_MESSAGE",
      `field name ${JSON.stringify(name)} must be 1–128 characters, no NUL`,
      {
        field: name,
      },
    );
  }
}

export function leafHash(name: string, value: string, salt: Uint8Array): Uint8Array {
  return sha256(concat(LEAF_DOMAIN, utf8.encode(name), Uint8Array.of(0), utf8.encode(value), salt));
}

const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(concat(NODE_DOMAIN, left, right));

function rootHash(count: number, top: Uint8Array): Uint8Array {
  const n = new Uint8Array(4);
  new DataView(n.buffer).setUint32(0, count);
  return sha256(concat(ROOT_DOMAIN, n, top));
}

/** Every level of the tree, leaves first, the single top node last. */
function levelsOf(leaves: readonly Uint8Array[]): Uint8Array[][] {
  const levels = [leaves.slice()];
  while (levels[levels.length - 1]!.length > 1) {
    const below = levels[levels.length - 1]!;
    const above: Uint8Array[] = [];
    for (let i = 0; i < below.length; i += 2) {
      above.push(i + 1 < below.length ? nodeHash(below[i]!, below[i + 1]!) : below[i]!);
    }
    levels.push(above);
  }
  return levels;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Salts each field (32 random bytes) and commits them all; `saltsForTest` fixes the salts. */
export function commitFields(
  fields: Readonly<Record<string, string>>,
  saltsForTest?: Readonly<Record<string, Uint8Array>>,
): FieldCommitment {
  const names = Object.keys(fields);
  if (names.length === 0 || names.length > MAX_DISCLOSURE_FIELDS) {
    throw new BttError("INVALID_MESSAGE", `a commitment has 1 to ${MAX_DISCLOSURE_FIELDS} fields`);
  }
  const salted = names.map((name) => {
    requireName(name);
    const value = fields[name];
    if (typeof value !== "string")
      throw new BttError("INVALID_MESSAGE", `field ${name} must be a string`, { field: name });
    const salt = saltsForTest?.[name] ?? randomBytes(SALT_BYTES);
    return { name, value, salt: bytesToHex(salt) };
  });
  salted.sort(byName);
  const leaves = salted.map((f) => leafHash(f.name, f.value, hexToBytes(f.salt)));
  const levels = levelsOf(leaves);
  return {
    version: 1,
    root: bytesToHex(rootHash(leaves.length, levels[levels.length - 1]![0]!)),
    fields: salted,
    leaves: leaves.map(bytesToHex),
  };
}

/** A disclosure of the fields named (any order, each once) with the fewest sibling hashes. */
export function presentFields(committed: FieldCommitment, names: readonly string[]): Disclosure {
  const index = new Map(committed.fields.map((f, i) => [f.name, i]));
  const chosen = [...new Set(names)].map((name) => {
    const i = index.get(name);
    if (i === undefined) throw new BttError("NOT_FOUND", `no committed field named ${name}`, { field: name });
    return i;
  });
  if (chosen.length === 0) throw new BttError("INVALID_MESSAGE", "disclose at least one field");
  chosen.sort((a, b) => a - b);
  const levels = levelsOf(committed.leaves.map(hexToBytes));
  const proof: string[] = [];
  let known = chosen;
  for (const level of levels.slice(0, -1)) {
    const have = new Set(known);
    const parents: number[] = [];
    for (const i of known) {
      const parent = i >> 1;
      if (parents[parents.length - 1] === parent) continue;
      const sibling = i ^ 1;
      if (sibling < level.length && !have.has(sibling)) proof.push(bytesToHex(level[sibling]!));
      parents.push(parent);
    }
    known = parents;
  }
  return {
    version: 1,
    root: committed.root,
    leaf_count: committed.fields.length,
    disclosed: chosen.map((i) => ({ index: i, ...committed.fields[i]! })),
    proof,
  };
}

/** Why a disclosure does not check out against `expectedRoot`, or undefined when it does. */
export function disclosureProblem(d: Disclosure, expectedRoot: string | Uint8Array): string | undefined {
  const expected = typeof expectedRoot === "string" ? expectedRoot.toLowerCase() : bytesToHex(expectedRoot);
  if (typeof d !== "object" || d === null || d.version !== DISCLOSURE_VERSION)
    return "not a version 1 disclosure";
  if (typeof d.root !== "string" || d.root !== expected) return "its root is not the committed root";
  const n = d.leaf_count;
  if (!Number.isInteger(n) || n < 1 || n > MAX_DISCLOSURE_FIELDS) return "leaf_count is out of range";
  if (!Array.isArray(d.disclosed) || d.disclosed.length === 0) return "it discloses no field";
  if (!Array.isArray(d.proof) || d.proof.some((h) => typeof h !== "string" || !HEX32.test(h)))
    return "a proof hash is not 64 lowercase hex digits";
  let nodes = new Map<number, Uint8Array>();
  let previous: SaltedField & { index: number } = { index: -1, name: "", value: "", salt: "" };
  for (const f of d.disclosed) {
    if (!Number.isInteger(f.index) || f.index <= previous.index || f.index >= n)
      return "field indices must ascend within the field count";
    if (
      typeof f.name !== "string" ||
      typeof f.value !== "string" ||
      (previous.index >= 0 && f.name <= previous.name)
    )
      return "field names must ascend with their indices";
    if (f.name.length === 0 || f.name.length > 128 || f.name.includes("\0"))
      return "a field name is malformed";
    if (typeof f.salt !== "string" || !HEX32.test(f.salt))
      return `the salt of ${f.name} is not 32 bytes of hex`;
    nodes.set(f.index, leafHash(f.name, f.value, hexToBytes(f.salt)));
    previous = f;
  }
  // Rebuild the levels, taking a missing sibling from the proof in the order presentFields wrote it.
  let cursor = 0;
  for (let width = n; width > 1; width = Math.ceil(width / 2)) {
    const above = new Map<number, Uint8Array>();
    for (const [i, hash] of nodes) {
      const parent = i >> 1;
      if (above.has(parent)) continue;
      const sibling = i ^ 1;
      if (sibling >= width) {
        above.set(parent, hash);
        continue;
      }
      let other = nodes.get(sibling);
      if (!other) {
        const next = d.proof[cursor++];
        if (next === undefined) return "the proof is too short";
        other = hexToBytes(next);
      }
      above.set(parent, i % 2 === 0 ? nodeHash(hash, other) : nodeHash(other, hash));
    }
    nodes = above;
  }
  if (cursor !== d.proof.length) return "the proof has hashes it does not use";
  if (bytesToHex(rootHash(n, nodes.get(0)!)) !== expected)
    return "the fields and proof do not rebuild the root";
  return undefined;
}

/** True when the disclosed fields, with the proof, rebuild `expectedRoot` (the on-chain commitment). */
export function verifyDisclosure(d: Disclosure, expectedRoot: string | Uint8Array): boolean {
  try {
    return disclosureProblem(d, expectedRoot) === undefined;
  } catch {
    return false;
  }
}

/** The disclosed fields as a plain object (after verifyDisclosure said yes). */
export function disclosedFields(d: Disclosure): Record<string, string> {
  return Object.fromEntries(d.disclosed.map((f) => [f.name, f.value]));
}
