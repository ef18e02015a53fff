import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";

/** The bank functions auth needs to charge fees (implemented by bank's keeper). */
export interface BankKeeperForFees {
  balance(kv: KVStore, address: string, denom: string): bigint;
  send(
    ctx: Context,
    from: string,
    to: string,
    amounts: ReadonlyArray<{ denom: string; amount: bigint }>,
    emitEvent?: boolean,
  ): void;
}
