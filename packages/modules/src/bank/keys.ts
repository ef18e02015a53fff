// The bank's state keys. Buffer-free: the SDK builds the same keys in a browser to check proofs.
import { addressBytes } from "@btt/core";
import { shareKey } from "../framework/shared-keys.ts";

// Layout under "bank/": b ‖ address(20) ‖ denom → amount; s ‖ denom → supply; d ‖ denom → metadata.
const BALANCE = 0x62; // "b"
const SUPPLY = 0x73; // "s"
const DENOM = 0x64; // "d"
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const MODULE_PREFIX = utf8.encode("bank/");

// Keys are built for every transfer, several times over (fee, sender, recipient, in the mempool
// and again in the block): the ones in use are kept, shared and never modified by their users.
const MEMO_LIMIT = 200_000;
const balanceKeys = new Map<string, Map<string, Uint8Array>>();
let balanceKeyCount = 0;

/** The full state key (module prefix included) of a balance. The array is shared: do not modify it. */
export function balanceStateKey(address: string, denom: string): Uint8Array {
  let byAddress = balanceKeys.get(denom);
  if (!byAddress) {
    byAddress = new Map();
    balanceKeys.set(denom, byAddress);
  }
  let key = byAddress.get(address);
  if (!key) {
    if (balanceKeyCount >= MEMO_LIMIT) {
      for (const m of balanceKeys.values()) m.clear();
      balanceKeyCount = 0;
    }
    key = shareKey(buildBalanceStateKey(address, denom));
    byAddress.set(address, key);
    balanceKeyCount++;
  }
  return key;
}

/**
 * Builds a balance key in one allocation. Denominations are ASCII (DENOM_PATTERN) and copied char
 * by char, which measured ~2.5x faster than Buffer.write and ~8x faster than
 * TextEncoder.encodeInto for these short strings; anything else takes the general path.
 */
function buildBalanceStateKey(address: string, denom: string): Uint8Array {
  const addr = addressBytes(address);
  const p = MODULE_PREFIX.length;
  const head = p + 1 + addr.length;
  const out = new Uint8Array(head + denom.length);
  out.set(MODULE_PREFIX, 0);
  out[p] = BALANCE;
  out.set(addr, p + 1);
  for (let i = 0; i < denom.length; i++) {
    const c = denom.charCodeAt(i);
    if (c > 0x7f) return concat(out.subarray(0, head), utf8.encode(denom));
    out[head + i] = c;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Balances of one account, inside the module prefix. */
export function balancesPrefix(address: string): Uint8Array {
  return concat(ALL_BALANCES_PREFIX, addressBytes(address));
}

/** The denomination of a balance key inside the module prefix (b ‖ address ‖ denom). */
export function denomOfBalanceKey(key: Uint8Array): string {
  return utf8Decoder.decode(key.subarray(21));
}

export const ALL_BALANCES_PREFIX = Uint8Array.of(BALANCE);
export const ALL_SUPPLY_PREFIX = Uint8Array.of(SUPPLY);
export const ALL_DENOMS_PREFIX = Uint8Array.of(DENOM);

export function supplyKey(denom: string): Uint8Array {
  return concat(ALL_SUPPLY_PREFIX, utf8.encode(denom));
}

const denomKeys = new Map<string, Uint8Array>();
const denomStateKeys = new Map<string, Uint8Array>();

function memo(keys: Map<string, Uint8Array>, denom: string, build: () => Uint8Array): Uint8Array {
  let key = keys.get(denom);
  if (!key) {
    if (keys.size >= MEMO_LIMIT) keys.clear();
    key = build();
    keys.set(denom, key);
  }
  return key;
}

/** A denomination's metadata key inside the module prefix. The array is shared: do not modify it. */
export function denomKey(denom: string): Uint8Array {
  return memo(denomKeys, denom, () => concat(ALL_DENOMS_PREFIX, utf8.encode(denom)));
}

/** The full state key of a denomination's metadata (every transfer checks it exists). Shared. */
export function denomStateKey(denom: string): Uint8Array {
  return memo(denomStateKeys, denom, () => shareKey(concat(MODULE_PREFIX, denomKey(denom))));
}
