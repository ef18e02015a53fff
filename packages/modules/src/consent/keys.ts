// The consent module's full state keys ("consent/" prefix included): g ‖ id → grant;
// p ‖ patient(20) ‖ grantee(20) → active grant ids (u64 each); h ‖ patient(20) ‖ id → 1 (every
// grant of a patient, for its history); e ‖ patient(20) ‖ id → break-glass record; n → next id.
import { addressBytes } from "@btt/core";
import { joinKey, u64 } from "../identity/keys.ts";

const MODULE = new TextEncoder().encode("consent/");
const GRANT = Uint8Array.of(0x67);
const PAIR = Uint8Array.of(0x70);
const HISTORY = Uint8Array.of(0x68);
const EMERGENCY = Uint8Array.of(0x65);

export const NEXT_ID_KEY = joinKey(MODULE, Uint8Array.of(0x6e));
export const ALL_GRANTS_PREFIX = joinKey(MODULE, GRANT);

export const grantKey = (id: bigint) => joinKey(ALL_GRANTS_PREFIX, u64(id));
export const pairKey = (patient: string, grantee: string) =>
  joinKey(MODULE, PAIR, addressBytes(patient), addressBytes(grantee));
export const historyPrefix = (patient: string) => joinKey(MODULE, HISTORY, addressBytes(patient));
export const historyKey = (patient: string, id: bigint) => joinKey(historyPrefix(patient), u64(id));
export const emergencyPrefix = (patient: string) => joinKey(MODULE, EMERGENCY, addressBytes(patient));
export const emergencyKey = (patient: string, id: bigint) => joinKey(emergencyPrefix(patient), u64(id));
