import { addressBytes } from "@btt/core";

// Layout under "bank/": b ‖ address(20) ‖ denom → amount; s ‖ denom → supply; d ‖ denom → metadata.
const BALANCE = 0x62; // "b"
const SUPPLY = 0x73; // "s"
const DENOM = 0x64; // "d"
const MODULE_PREFIX = Buffer.from("bank/", "utf8");

/** The full state key (module prefix included) of a balance: built on every transfer, so in one allocation. */
export function balanceStateKey(address: string, denom: string): Uint8Array {
  const addr = addressBytes(address);
  const p = MODULE_PREFIX.length;
  const out = Buffer.allocUnsafe(p + 1 + addr.length + Buffer.byteLength(denom));
  MODULE_PREFIX.copy(out, 0);
  out[p] = BALANCE;
  out.set(addr, p + 1);
  out.write(denom, p + 1 + addr.length, "utf8");
  return out;
}

export function balancesPrefix(address: string): Uint8Array {
  return Buffer.concat([Buffer.of(BALANCE), addressBytes(address)]);
}

export function denomOfBalanceKey(key: Uint8Array): string {
  return Buffer.from(key.subarray(21)).toString("utf8");
}

export const ALL_BALANCES_PREFIX = Buffer.of(BALANCE);
export const ALL_SUPPLY_PREFIX = Buffer.of(SUPPLY);
export const ALL_DENOMS_PREFIX = Buffer.of(DENOM);

export function supplyKey(denom: string): Uint8Array {
  return Buffer.concat([Buffer.of(SUPPLY), Buffer.from(denom, "utf8")]);
}

export function denomKey(denom: string): Uint8Array {
  return Buffer.concat([Buffer.of(DENOM), Buffer.from(denom, "utf8")]);
}
