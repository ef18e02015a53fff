// @btt/sdk: keys, messages, transactions and a client for BTT nodes, for Node and browsers.
export {
  ADDRESS_PREFIX,
  BttError,
  decodeAddress,
  encodeAddress,
  isAddress,
  type Msg,
  type PublicKey,
  type Signer,
  type Tx,
} from "@btt/core";
export {
  type AmountInput,
  formatDenomAmount,
  MAX_DECIMALS,
  parseDenomAmount,
  toBaseUnits,
} from "./amounts.ts";
export type * from "./api-types.ts";
export {
  BttClient,
  type BttClientOptions,
  type FetchLike,
  type SendOptions,
  type SubmitOptions,
} from "./client.ts";
export { BttApiError, ProofError, type ProofFailure, TimeoutError, TxFailedError } from "./errors.ts";
export {
  BTT_COIN_TYPE,
  type DeriveOptions,
  ed25519Path,
  generateMnemonic,
  ML_DSA_65_DOMAIN,
  mlDsa65SeedFromBip39Seed,
  mnemonicToSeed,
  normalizeMnemonic,
  parsePath,
  randomSigner,
  type SingleKeyType,
  signerFromMnemonic,
  signerFromSeedHex,
  slip10Ed25519,
  validateMnemonic,
} from "./keys.ts";
export { bank, type CoinInput, MESSAGE_SCHEMAS, messageToJson } from "./messages.ts";
export { consent, identity, PRIVACY_MESSAGE_SCHEMAS } from "./privacy.ts";
export {
  BLOB_REQUEST_DOMAIN,
  blobRequestBytes,
  decryptBlob,
  type EncryptionKeyPair,
  encryptBlob,
  encryptionKeyFromSeed,
  openRecord,
  RECORDS_MESSAGE_SCHEMAS,
  records,
  sealRecord,
  signedRequestHeaders,
  unwrapContentKey,
  type WrappedKey,
  wrapContentKey,
  wrappedKeysFromJson,
} from "./records.ts";
export {
  type Stream,
  type StreamEvent,
  type SubscribeOptions,
  Subscription,
  type TxFilter,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./subscribe.ts";
export {
  buildTxBody,
  estimateFee,
  type FeeSchedule,
  type JsonTx,
  type PublicKeyJson,
  parseFeeSchedule,
  publicKeyToJson,
  type SignedTx,
  signTransaction,
  type TxInput,
  txToJson,
} from "./tx.ts";
export {
  headerFromJson,
  moduleStateKey,
  type ProvenEntry,
  type VerifiedBalance,
  type VerifiedHeader,
  type VerifiedState,
  verifyBalance,
  verifyBlock,
  verifyState,
  verifyStateEntry,
} from "./verify.ts";
