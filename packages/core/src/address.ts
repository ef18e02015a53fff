import { toBinary } from "@bufbuild/protobuf";
import { bech32 } from "@scure/base";
import { BttError } from "./errors.ts";
import { type PublicKey, PublicKeySchema } from "./gen/btt/tx/v1/tx_pb.ts";
import { sha256, utf8 } from "./hash.ts";

export const ADDRESS_PREFIX = "btt";
export const ADDRESS_BYTES = 20;
const ADDRESS_DOMAIN = utf8.encode("btt/address/v1");

/** The account address of a key: first 20 bytes of SHA-256(domain ‖ canonical key encoding). */
export function addressBytesOf(key: PublicKey): Uint8Array {
  return sha256(ADDRESS_DOMAIN, toBinary(PublicKeySchema, key)).subarray(0, ADDRESS_BYTES);
}

export function addressOf(key: PublicKey): string {
  return encodeAddress(addressBytesOf(key));
}

export function encodeAddress(bytes: Uint8Array): string {
  if (bytes.length !== ADDRESS_BYTES) throw new BttError("INVALID_ADDRESS", "an address has 20 bytes");
  return bech32.encode(ADDRESS_PREFIX, bech32.toWords(bytes));
}

/** Parses a bech32 `btt1…` address; throws INVALID_ADDRESS saying what is wrong. */
export function decodeAddress(address: string, what = "address"): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32.decode(address as `${string}1${string}`, 90);
  } catch (err) {
    throw new BttError(
      "INVALID_ADDRESS",
      `${what} is not a valid bech32 address: ${(err as Error).message}`,
      {
        [what]: address,
      },
    );
  }
  if (decoded.prefix !== ADDRESS_PREFIX) {
    throw new BttError("INVALID_ADDRESS", `${what} must start with "${ADDRESS_PREFIX}1"`, {
      [what]: address,
    });
  }
  if (address !== address.toLowerCase()) {
    throw new BttError("INVALID_ADDRESS", `${what} must be lower case`, { [what]: address });
  }
  const bytes = bech32.fromWords(decoded.words);
  if (bytes.length !== ADDRESS_BYTES) {
    throw new BttError("INVALID_ADDRESS", `${what} must encode 20 bytes`, { [what]: address });
  }
  return bytes;
}

// Decoding bech32 costs microseconds and every transfer decodes two or three addresses.
const ADDRESS_CACHE_LIMIT = 200_000;
const addressCache = new Map<string, Uint8Array>();

/** decodeAddress with a bounded cache of valid addresses. Callers must not mutate the result. */
export function addressBytes(address: string, what = "address"): Uint8Array {
  let bytes = addressCache.get(address);
  if (!bytes) {
    bytes = decodeAddress(address, what);
    if (addressCache.size >= ADDRESS_CACHE_LIMIT)
      addressCache.delete(addressCache.keys().next().value as string);
    addressCache.set(address, bytes);
  }
  return bytes;
}

/** The address of a module's own account (fee collector, escrow…), which no key controls. */
export function moduleAddress(moduleName: string): string {
  return encodeAddress(sha256(utf8.encode(`btt/module/${moduleName}`)).subarray(0, ADDRESS_BYTES));
}

export function isAddress(address: string): boolean {
  try {
    decodeAddress(address);
    return true;
  } catch {
    return false;
  }
}
