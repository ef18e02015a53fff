import { type Account, AccountSchema, addressBytes, type PublicKey } from "@btt/core";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export const AUTH = "auth";
const ACCOUNT = 0x61; // "a" ‖ address(20) → Account

function accountKey(address: string): Uint8Array {
  const out = Buffer.allocUnsafe(21);
  out[0] = ACCOUNT;
  out.set(addressBytes(address), 1);
  return out;
}

/** Accounts: the public key the chain first saw for each address, and the next nonce. */
export class AuthKeeper {
  private view(kv: KVStore): PrefixStore {
    return new PrefixStore(kv, AUTH);
  }

  account(kv: KVStore, address: string): Account | undefined {
    const bytes = this.view(kv).get(accountKey(address));
    return bytes ? fromBinary(AccountSchema, bytes) : undefined;
  }

  /** The nonce the account's next transaction must carry (0 for an account never seen). */
  nextNonce(kv: KVStore, address: string): bigint {
    return this.account(kv, address)?.nonce ?? 0n;
  }

  setAccount(kv: KVStore, address: string, publicKey: PublicKey | undefined, nonce: bigint): void {
    const account = create(AccountSchema, { nonce, ...(publicKey ? { publicKey } : {}) });
    this.view(kv).set(accountKey(address), toBinary(AccountSchema, account));
  }

  *accounts(kv: KVStore): Iterable<Account & { address: Uint8Array }> {
    for (const [key, value] of this.view(kv).iterate(Buffer.of(ACCOUNT))) {
      yield Object.assign(fromBinary(AccountSchema, value), { address: key.subarray(1) });
    }
  }
}
