import { addressBytes } from "@btt/core";

// Layout under "bank/": b ‖ address(20) ‖ denom → amount; s ‖ denom → supply; d ‖ denom → metadata.
const BALANCE = 0x62; // "b"
const SUPPLY = 0x73; // "s"
const DENOM = 0x64; // "d"

export function balanceKey(address: string, denom: string): Uint8Array {
  const addr = addressBytes(address);
  const out = Buffer.allocUnsafe(1 + addr.length + Buffer.byteLength(denom));
  out[0] = BALANCE;
  out.set(addr, 1);
  out.write(denom, 1 + addr.length, "utf8");
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
