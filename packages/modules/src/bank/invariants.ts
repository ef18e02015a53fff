import type { Invariant } from "../framework/module.ts";
import type { BankKeeper } from "./keeper.ts";

/** For every denomination, the balances of all accounts add up to its recorded supply. */
export function supplyInvariant(keeper: BankKeeper): Invariant {
  return {
    name: "bank/total-supply",
    check(kv) {
      const sums = new Map<string, bigint>();
      for (const [, denom, amount] of keeper.allBalances(kv))
        sums.set(denom, (sums.get(denom) ?? 0n) + amount);
      const recorded = new Map(keeper.supplies(kv).map((s) => [s.denom, s.amount]));
      for (const denom of new Set([...sums.keys(), ...recorded.keys()])) {
        const sum = sums.get(denom) ?? 0n;
        const supply = recorded.get(denom) ?? 0n;
        if (sum !== supply) return `${denom}: balances add up to ${sum}, supply says ${supply}`;
      }
      return undefined;
    },
  };
}
