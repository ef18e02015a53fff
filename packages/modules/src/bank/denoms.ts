import { BttError, type Coin, parseAmount } from "@btt/core";

/** Metadata of a denomination: how it displays and who may mint or burn it. */
export interface DenomMetadata {
  /** Base denomination, the unit amounts count in (e.g. "ubtt"). */
  denom: string;
  /** Display unit (e.g. "BTT") = 10^decimals base units. */
  display: string;
  decimals: number;
  description: string;
  /** Accounts allowed to mint and burn this denomination. */
  minters: string[];
}

export const DENOM_PATTERN = /^[a-z][a-z0-9/._-]{2,63}$/;

export function validateDenom(denom: string): void {
  if (!DENOM_PATTERN.test(denom)) {
    throw new BttError("INVALID_MESSAGE", `denomination "${denom}" must match ${DENOM_PATTERN.source}`, {
      denom,
    });
  }
}

export interface Amount {
  denom: string;
  amount: bigint;
}

/** Checks a list of coins: at least one, denominations valid, sorted and unique, amounts positive. */
export function parseCoins(coins: readonly Coin[], what = "amount"): Amount[] {
  if (coins.length === 0) throw new BttError("INVALID_AMOUNT", `${what} has no coins`);
  const out: Amount[] = [];
  for (const c of coins) {
    validateDenom(c.denom);
    const amount = parseAmount(c.amount, what);
    if (amount === 0n) throw new BttError("INVALID_AMOUNT", `${what} of ${c.denom} must be positive`);
    const previous = out[out.length - 1];
    if (previous && previous.denom >= c.denom) {
      throw new BttError("INVALID_AMOUNT", `${what} must list each denomination once, sorted`);
    }
    out.push({ denom: c.denom, amount });
  }
  return out;
}

export function formatCoins(amounts: readonly Amount[]): string {
  return amounts.map((a) => `${a.amount}${a.denom}`).join(",");
}
