import { addressBytes, BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { validateDenom } from "./denoms.ts";
import type { BankKeeper } from "./keeper.ts";
import type { BankParamsStore } from "./params.ts";

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`);
  return value;
}

export function bankQueries(keeper: BankKeeper, params: BankParamsStore): QueryType[] {
  return [
    {
      name: "balance",
      description: "Balance of one account in one denomination: {address, denom}",
      handle(ctx, p) {
        const address = required(p, "address");
        addressBytes(address);
        const denom = required(p, "denom");
        validateDenom(denom);
        return { address, denom, amount: keeper.balance(ctx.kv, address, denom).toString() };
      },
    },
    {
      name: "balances",
      description: "All balances of one account: {address}",
      handle(ctx, p) {
        const address = required(p, "address");
        addressBytes(address);
        const coins = keeper
          .balances(ctx.kv, address)
          .map((c) => ({ denom: c.denom, amount: c.amount.toString() }));
        return { address, coins };
      },
    },
    {
      name: "supply",
      description: "Total supply of one denomination, or of all when {denom} is omitted",
      handle(ctx, p) {
        if (p.denom) {
          validateDenom(p.denom);
          return { denom: p.denom, amount: keeper.supply(ctx.kv, p.denom).toString() };
        }
        return {
          supply: keeper.supplies(ctx.kv).map((c) => ({ denom: c.denom, amount: c.amount.toString() })),
        };
      },
    },
    {
      name: "denoms",
      description: "Metadata of every registered denomination",
      handle: (ctx) => ({ denoms: keeper.denoms(ctx.kv) }),
    },
    {
      name: "params",
      description: "The bank module's parameters",
      handle: (ctx) => params.raw(ctx.kv),
    },
  ];
}
