// Keys inside "staking/": v ‖ operator(20) → validator; k ‖ consensus address(20) → operator(20);
// d ‖ validator(20) ‖ delegator(20) → amount; u ‖ mature height(u64) ‖ seq(u64) → unbonding
// entry; r ‖ mature height(u64) ‖ seq(u64) → redelegation entry (kept for slashing);
// g ‖ consensus address(20) → signing info; a → active set; n → next unbonding/redelegation seq.
import { addressBytes } from "@btt/core";

const byte = (c: string) => Uint8Array.of(c.charCodeAt(0));
export const VALIDATOR = byte("v");
export const CONSENSUS = byte("k");
export const DELEGATION = byte("d");
export const UNBONDING = byte("u");
export const REDELEGATION = byte("r");
export const SIGNING = byte("g");
export const ACTIVE_SET_KEY = byte("a");
export const NEXT_SEQ_KEY = byte("n");

export function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

export const validatorKey = (operator: string) => join(VALIDATOR, addressBytes(operator));
export const consensusKey = (consAddr: Uint8Array) => join(CONSENSUS, consAddr);
export const delegationKey = (validator: string, delegator: string) =>
  join(DELEGATION, addressBytes(validator), addressBytes(delegator));
export const delegationsPrefix = (validator: string) => join(DELEGATION, addressBytes(validator));
export const unbondingKey = (matureHeight: bigint, seq: bigint) =>
  join(UNBONDING, u64(matureHeight), u64(seq));
export const redelegationKey = (matureHeight: bigint, seq: bigint) =>
  join(REDELEGATION, u64(matureHeight), u64(seq));
export const signingKey = (consAddr: Uint8Array) => join(SIGNING, consAddr);
