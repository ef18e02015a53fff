/**
 * Keys that their builders memoise (balance, account and denomination keys: several per transfer,
 * in the mempool and again in the block) are marked shared here, so the stores convert each to
 * its map id once instead of at every read and write. Dependency-free: the SDK builds the same
 * keys in a browser.
 */
const sharedKeyIds = new WeakMap<Uint8Array, string | null>();

/** Marks a memoised key array as shared (never modified by anyone); returns it. */
export function shareKey<K extends Uint8Array>(key: K): K {
  sharedKeyIds.set(key, null);
  return key;
}

/** The id a store computed for a shared key (a string), null before that, undefined when not shared. */
export function sharedKeyId(key: Uint8Array): string | null | undefined {
  return sharedKeyIds.get(key);
}

/** Remembers a shared key's id. */
export function rememberKeyId(key: Uint8Array, id: string): void {
  sharedKeyIds.set(key, id);
}
