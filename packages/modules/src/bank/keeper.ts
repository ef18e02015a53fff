import { BttError, checkedAdd, decodeAmount, encodeAddress, encodeAmount } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { type Amount, type DenomMetadata, formatCoins } from "./denoms.ts";
import {
  ALL_BALANCES_PREFIX,
  ALL_DENOMS_PREFIX,
  ALL_SUPPLY_PREFIX,
  balanceStateKey,
  balancesPrefix,
  denomKey,
  denomOfBalanceKey,
  denomStateKey,
  supplyKey,
} from "./keys.ts";

export const BANK = "bank";

/**
 * The bank's state: balances per (account, denomination), supply per denomination,
 * denomination metadata. The only way other modules move, mint or burn coins.
 */
export class BankKeeper {
  private view(kv: KVStore): PrefixStore {
    return new PrefixStore(kv, BANK);
  }

  balance(kv: KVStore, address: string, denom: string): bigint {
    return decodeAmount(kv.get(balanceStateKey(address, denom)));
  }

  balances(kv: KVStore, address: string): Amount[] {
    const out: Amount[] = [];
    for (const [key, value] of this.view(kv).iterate(balancesPrefix(address))) {
      out.push({ denom: denomOfBalanceKey(key), amount: decodeAmount(value) });
    }
    return out;
  }

  /** Every balance of every account, in key order: [address, denom, amount]. */
  *allBalances(kv: KVStore): Iterable<[string, string, bigint]> {
    for (const [key, value] of this.view(kv).iterate(ALL_BALANCES_PREFIX)) {
      yield [encodeAddress(key.subarray(1, 21)), denomOfBalanceKey(key), decodeAmount(value)];
    }
  }

  supply(kv: KVStore, denom: string): bigint {
    return decodeAmount(this.view(kv).get(supplyKey(denom)));
  }

  supplies(kv: KVStore): Amount[] {
    const out: Amount[] = [];
    for (const [key, value] of this.view(kv).iterate(ALL_SUPPLY_PREFIX)) {
      out.push({ denom: Buffer.from(key.subarray(1)).toString("utf8"), amount: decodeAmount(value) });
    }
    return out;
  }

  denom(kv: KVStore, denom: string): DenomMetadata | undefined {
    const bytes = this.view(kv).get(denomKey(denom));
    return bytes ? (JSON.parse(Buffer.from(bytes).toString("utf8")) as DenomMetadata) : undefined;
  }

  denoms(kv: KVStore): DenomMetadata[] {
    return [...this.view(kv).iterate(ALL_DENOMS_PREFIX)].map(
      ([, value]) => JSON.parse(Buffer.from(value).toString("utf8")) as DenomMetadata,
    );
  }

  /** Registers or updates a denomination (genesis, or modules that issue their own tokens). */
  setDenom(kv: KVStore, metadata: DenomMetadata): void {
    const ordered: DenomMetadata = {
      denom: metadata.denom,
      display: metadata.display,
      decimals: metadata.decimals,
      description: metadata.description,
      minters: [...metadata.minters],
    };
    this.view(kv).set(denomKey(metadata.denom), Buffer.from(JSON.stringify(ordered), "utf8"));
  }

  isMinter(kv: KVStore, denom: string, address: string): boolean {
    return this.denom(kv, denom)?.minters.includes(address) ?? false;
  }

  /** Moves coins; fails with INSUFFICIENT_FUNDS (and writes nothing the caller keeps) if `from` lacks any. */
  send(ctx: Context, from: string, to: string, amounts: readonly Amount[], emitEvent = true): void {
    const store = ctx.kv;
    for (const { denom, amount } of amounts) {
      this.requireDenom(ctx.kv, denom);
      const fromKey = balanceStateKey(from, denom);
      const available = decodeAmount(store.get(fromKey));
      if (available < amount) {
        throw new BttError(
          "INSUFFICIENT_FUNDS",
          `${from} has ${available}${denom}, needs ${amount}${denom}`,
          {
            address: from,
            denom,
            available: available.toString(),
            required: amount.toString(),
          },
        );
      }
      if (from === to) continue;
      this.write(store, fromKey, available - amount);
      const toKey = balanceStateKey(to, denom);
      this.write(store, toKey, checkedAdd(decodeAmount(store.get(toKey)), amount));
    }
    if (emitEvent) {
      ctx.emit(ledgerEvent("bank/transfer", { sender: from, recipient: to, amount: formatCoins(amounts) }));
    }
  }

  /** Creates coins. Authorisation is the caller's job (the Mint message checks the minter list). */
  mint(ctx: Context, to: string, { denom, amount }: Amount): void {
    this.requireDenom(ctx.kv, denom);
    const key = balanceStateKey(to, denom);
    this.write(ctx.kv, key, checkedAdd(decodeAmount(ctx.kv.get(key)), amount));
    this.write(this.view(ctx.kv), supplyKey(denom), checkedAdd(this.supply(ctx.kv, denom), amount));
  }

  burn(ctx: Context, from: string, { denom, amount }: Amount): void {
    this.requireDenom(ctx.kv, denom);
    const key = balanceStateKey(from, denom);
    const available = decodeAmount(ctx.kv.get(key));
    if (available < amount) {
      throw new BttError("INSUFFICIENT_FUNDS", `${from} has ${available}${denom}, cannot burn ${amount}`, {
        address: from,
        denom,
      });
    }
    this.write(ctx.kv, key, available - amount);
    this.write(this.view(ctx.kv), supplyKey(denom), this.supply(ctx.kv, denom) - amount);
  }

  private requireDenom(kv: KVStore, denom: string): void {
    if (!kv.get(denomStateKey(denom))) {
      throw new BttError("UNKNOWN_DENOM", `denomination "${denom}" is not registered`, { denom });
    }
  }

  // Zero balances are deleted so the state (and its root) holds only what exists.
  private write(store: KVStore, key: Uint8Array, amount: bigint): void {
    if (amount === 0n) store.delete(key);
    else store.set(key, encodeAmount(amount));
  }
}
