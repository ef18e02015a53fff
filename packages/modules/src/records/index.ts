import type { Module } from "../framework/module.ts";
import type { ComplianceKeeperForRecords, IdentityKeeperForRecords } from "./expected-keepers.ts";
import { type RecordsGenesis, recordsGenesis } from "./genesis.ts";
import { RecordsKeeper } from "./keeper.ts";
import { recordsMessages } from "./msgs.ts";
import { RECORDS, RecordsParamsStore } from "./params.ts";
import { recordsQueries } from "./queries.ts";

export { type RegisterRecordInput, recordsMsg } from "./builders.ts";
export { recordJson } from "./codec.ts";
export type { RecordsGenesis } from "./genesis.ts";
export { type AccessEntry, RecordsKeeper } from "./keeper.ts";
export { DEFAULT_RECORDS_PARAMS, RECORDS } from "./params.ts";
export type { AccessCounts, EncryptedRecord, WrappedKeyEntry } from "./types.ts";

export interface RecordsModule extends Module<RecordsGenesis> {
  readonly keeper: RecordsKeeper;
}

export function createRecordsModule(
  identity: IdentityKeeperForRecords,
  compliance: ComplianceKeeperForRecords,
): RecordsModule {
  const keeper = new RecordsKeeper(new RecordsParamsStore(), identity, compliance);
  return {
    name: RECORDS,
    keeper,
    messages: recordsMessages(keeper),
    queries: recordsQueries(keeper),
    genesis: recordsGenesis(keeper),
  };
}
