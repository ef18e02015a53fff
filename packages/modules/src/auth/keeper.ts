import { addressBytes, type PublicKey, PublicKeySchema } from "@btt/core";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { shareKey } from "../framework/shared-keys.ts";
import type { KVStore } from "../framework/store.ts";

export const AUTH = "auth";

// Layout under "auth/": k ‖ address(20) → encoded PublicKey (written once);
// n ‖ address(20) → next nonce, 8 bytes big-endian (rewritten by every transaction).
const KEY = 0x6b as const;
const NONCE = 0x6e as const;
const PREFIX = Buffer.from(`${AUTH}/`, "utf8");

// Every transaction reads its sender's key and nonce (at admission and again in the block) and
// writes the nonce: the keys in use are kept, shared and never modified by their users.
const KEY_CACHE_LIMIT = 100_000;
const accountKeys = [new Map<string, Buffer>(), new Map<string, Buffer>()];

function accountKey(kind: typeof KEY | typeof NONCE, address: string): Buffer {
  const keys = accountKeys[kind === KEY ? 0 : 1]!;
  let out = keys.get(address);
  if (!out) {
    out = Buffer.allocUnsafeSlow(PREFIX.length + 21);
    PREFIX.copy(out, 0);
    out[PREFIX.length] = kind;
    out.set(addressBytes(address), PREFIX.length + 1);
    shareKey(out);
    if (keys.size >= KEY_CACHE_LIMIT) keys.clear();
    keys.set(address, out);
  }
  return out;
}

// Decoded keys by their encoding: the same bytes always decode to the same key. The committed
// store hands back the same array for an unchanged entry, so the array itself is tried first.
const decodedKeys = new Map<string, PublicKey>();
const decodedByArray = new WeakMap<Uint8Array, PublicKey>();

function decodePublicKey(bytes: Uint8Array): PublicKey {
  const seen = decodedByArray.get(bytes);
  if (seen) return seen;
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let key = decodedKeys.get(id);
  if (!key) {
    key = fromBinary(PublicKeySchema, bytes);
    if (decodedKeys.size >= KEY_CACHE_LIMIT) decodedKeys.delete(decodedKeys.keys().next().value as string);
    decodedKeys.set(id, key);
  }
  decodedByArray.set(bytes, key);
  return key;
}

/** Accounts: the public key the chain first saw for each address, and the next nonce. */
export class AuthKeeper {
  publicKey(kv: KVStore, address: string): PublicKey | undefined {
    const bytes = kv.get(accountKey(KEY, address));
    return bytes ? decodePublicKey(bytes) : undefined;
  }

  setPublicKey(kv: KVStore, address: string, key: PublicKey): void {
    kv.set(accountKey(KEY, address), toBinary(PublicKeySchema, key));
  }

  /** The nonce the account's next transaction must carry (0 for an account never seen). */
  nextNonce(kv: KVStore, address: string): bigint {
    const bytes = kv.get(accountKey(NONCE, address));
    return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigUInt64BE(0) : 0n;
  }

  setNextNonce(kv: KVStore, address: string, nonce: bigint): void {
    const out = Buffer.allocUnsafe(8);
    out.writeBigUInt64BE(nonce);
    kv.set(accountKey(NONCE, address), out);
  }

  /** Every account with a key or a nonce, in address order. */
  *accounts(kv: KVStore): Iterable<{ address: Uint8Array; publicKey?: PublicKey; nonce: bigint }> {
    const found = new Map<string, { address: Uint8Array; publicKey?: PublicKey; nonce: bigint }>();
    const entry = (address: Uint8Array) => {
      const id = Buffer.from(address).toString("hex");
      let e = found.get(id);
      if (!e) {
        e = { address, nonce: 0n };
        found.set(id, e);
      }
      return e;
    };
    for (const [key, value] of kv.iterate(Buffer.concat([PREFIX, Buffer.of(KEY)]))) {
      entry(key.subarray(PREFIX.length + 1)).publicKey = decodePublicKey(value);
    }
    for (const [key, value] of kv.iterate(Buffer.concat([PREFIX, Buffer.of(NONCE)]))) {
      entry(key.subarray(PREFIX.length + 1)).nonce = Buffer.from(value).readBigUInt64BE(0);
    }
    yield* [...found.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  }
}
