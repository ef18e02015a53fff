import { BankParamsStore } from "../bank/params.ts";
import type { Module } from "../framework/module.ts";
import type {
  BankKeeperForRecords,
  ComplianceKeeperForRecords,
  IdentityKeeperForRecords,
} from "./expected-keepers.ts";
import { type RecordsGenesis, recordsGenesis } from "./genesis.ts";
import { RecordsKeeper } from "./keeper.ts";
import { recordsMessages } from "./msgs.ts";
import { RECORDS, RecordsParamsStore } from "./params.ts";
import { PrivatePaymentsKeeper } from "./private-payments.ts";
import { recordsQueries } from "./queries.ts";

export { type PrivatePaymentInput, type RegisterRecordInput, recordsMsg } from "./builders.ts";
export { privatePaymentJson, recordJson } from "./codec.ts";
export type { BankKeeperForRecords } from "./expected-keepers.ts";
export type { RecordsGenesis } from "./genesis.ts";
export { type AccessEntry, RecordsKeeper } from "./keeper.ts";
export { DEFAULT_RECORDS_PARAMS, RECORDS } from "./params.ts";
export { PARTY_CREDENTIALS, PAYMENT_CLASS, PrivatePaymentsKeeper } from "./private-payments.ts";
export type { AccessCounts, EncryptedRecord, PrivatePayment, WrappedKeyEntry } from "./types.ts";

export interface RecordsModule extends Module<RecordsGenesis> {
  readonly keeper: RecordsKeeper;
  readonly privatePayments: PrivatePaymentsKeeper;
}

/** The bank as private payments use it: moving coins, and governance's transfer switch. */
export function bankForRecords(bank: Pick<BankKeeperForRecords, "send">): BankKeeperForRecords {
  const params = new BankParamsStore();
  return {
    send: (ctx, from, to, amounts) => bank.send(ctx, from, to, amounts),
    sendEnabled: (kv) => params.read(kv).sendEnabled,
  };
}

export function createRecordsModule(
  identity: IdentityKeeperForRecords,
  compliance: ComplianceKeeperForRecords,
  bank: Pick<BankKeeperForRecords, "send">,
): RecordsModule {
  const params = new RecordsParamsStore();
  const keeper = new RecordsKeeper(params, identity, compliance);
  const privatePayments = new PrivatePaymentsKeeper(params, identity, compliance, bankForRecords(bank));
  return {
    name: RECORDS,
    keeper,
    privatePayments,
    messages: recordsMessages(keeper, privatePayments),
    queries: recordsQueries(keeper, privatePayments),
    genesis: recordsGenesis(keeper, privatePayments),
  };
}
