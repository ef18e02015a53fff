import { addressBytes, type BttError } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import { type Amount, DENOM_PATTERN, type DenomMetadata } from "./denoms.ts";
import type { BankKeeper } from "./keeper.ts";
import { type BankParamsStore, DEFAULT_BANK_PARAMS } from "./params.ts";

export interface BankGenesis {
  params: unknown;
  denoms: DenomMetadata[];
  balances: Array<{ address: string; coins: Array<{ denom: string; amount: string }> }>;
}

export const BTT_DENOM: DenomMetadata = {
  denom: "ubtt",
  display: "BTT",
  decimals: 6,
  description: "BTT, the staking and fee token of the BitHive chain",
  minters: [],
};

export function bankGenesis(keeper: BankKeeper, params: BankParamsStore): ModuleGenesis<BankGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_BANK_PARAMS, denoms: [BTT_DENOM], balances: [] }),

    validateGenesis(raw) {
      const f = new JsonFields("INVALID_GENESIS", "bank");
      const o = f.object(raw);
      const denoms = f.array(o, "denoms").map((d, i) => validateDenomMetadata(f.at("denoms").at(i), d));
      const known = new Set<string>();
      for (const d of denoms) {
        f.check(!known.has(d.denom), `lists denomination ${d.denom} twice`, "denoms");
        known.add(d.denom);
      }
      const seen = new Set<string>();
      const balances = f.array(o, "balances").map((b, i) => {
        const bf = f.at("balances").at(i);
        const bo = bf.object(b);
        const address = bf.string(bo, "address");
        try {
          addressBytes(address);
        } catch (err) {
          bf.check(false, `is not an address: ${(err as BttError).message}`, "address");
        }
        bf.check(!seen.has(address), "repeats an address listed earlier", "address");
        seen.add(address);
        const coins = bf.array(bo, "coins").map((c, j) => {
          const cf = bf.at("coins").at(j);
          const co = cf.object(c);
          const denom = cf.string(co, "denom");
          cf.check(known.has(denom), `uses denomination ${denom}, which genesis does not register`, "denom");
          return { denom, amount: cf.amount(co, "amount").toString() };
        });
        return { address, coins };
      });
      return { params: o.params ?? DEFAULT_BANK_PARAMS, denoms, balances };
    },

    initGenesis(ctx: Context, g) {
      params.write(ctx.kv, g.params);
      for (const d of g.denoms) keeper.setDenom(ctx.kv, d);
      for (const b of g.balances) {
        for (const c of b.coins) {
          const amount: Amount = { denom: c.denom, amount: BigInt(c.amount) };
          if (amount.amount > 0n) keeper.mint(ctx, b.address, amount);
        }
      }
    },

    exportGenesis(ctx: Context) {
      const holders = new Map<string, Array<{ denom: string; amount: string }>>();
      for (const [address, denom, amount] of keeper.allBalances(ctx.kv)) {
        const coins = holders.get(address) ?? [];
        coins.push({ denom, amount: amount.toString() });
        holders.set(address, coins);
      }
      return {
        params: params.raw(ctx.kv),
        denoms: keeper.denoms(ctx.kv),
        balances: [...holders].map(([address, coins]) => ({ address, coins })),
      };
    },
  };
}

function validateDenomMetadata(f: JsonFields, raw: unknown): DenomMetadata {
  const o = f.object(raw);
  const denom = f.string(o, "denom");
  f.check(DENOM_PATTERN.test(denom), `must match ${DENOM_PATTERN.source}`, "denom");
  const minters = f.array(o, "minters", []).map((m, i) => {
    f.check(typeof m === "string", "must be a string", `minters[${i}]`);
    try {
      addressBytes(m as string);
    } catch {
      f.check(false, "is not an address", `minters[${i}]`);
    }
    return m as string;
  });
  return {
    denom,
    display: f.string(o, "display", denom),
    decimals: f.integer(o, "decimals", 0, 18, 0),
    description: f.string(o, "description", ""),
    minters,
  };
}
