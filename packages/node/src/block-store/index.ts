// The persisted chain history: headers, blocks with their results, and the indexes by block
// hash, tx hash and account. Everything lives in the caller's LMDB environment so a block,
// its indexes and the state tree commit in one transaction.
//
// Space is the main design constraint (a transfer must cost well under 200 bytes on disk):
//  - the txs and results of a block are one compressed record (record.ts);
//  - the tx-hash index is one LMDB dup-sorted set of fixed-size values (LMDB packs those without
//    per-entry headers): 5 bytes of tx hash + 5 bytes of global tx sequence number (tx-index.ts);
//  - the per-account index appends varint deltas of tx sequence numbers into small chunks
//    (account-index.ts).
// LMDB copies every page a transaction changes and keeps the old copies as free pages for the next
// transactions, so the randomly updated indexes cost about three times their size on disk while
// they are smaller than what one block touches: keeping them compact matters more than anything.
//
// Modules:
//  - store.ts          BlockStore: writes a block and its indexes, answers reads (the public API)
//  - record.ts         block record format: txs + results rearranged, addresses cut out, brotli
//  - address-scan.ts   finds and writes bech32 "btt1…" addresses inside raw bytes (for record.ts)
//  - results-codec.ts  fast protobuf-identical encoding of BlockResults and its parts
//  - tx-index.ts       tx sequence numbers → blocks, tx hash prefixes → sequence numbers
//  - account-index.ts  account → its txs' sequence numbers, in chunks; account ids
//  - cursor.ts         the opaque pagination cursor of txsOfAccount
//  - block-cache.ts    decoded blocks kept in memory
//  - merkle.ts         blockHash and txMerkleRoot (re-exported from @btt/core)
//  - bytes.ts          ByteWriter, ByteReader, varints, CorruptRecordError
export { blockHash, txMerkleRoot } from "./merkle.ts";
export {
  BlockBody,
  type BodyInput,
  decodeBlockRecord,
  encodeBlockRecord,
  type PreparedRecord,
  RecordBuilder,
} from "./record.ts";
export {
  blockResultsFromParts,
  encodeBlockResults,
  encodeResultParts,
  type ResultParts,
  TxResultsEncoder,
} from "./results-codec.ts";
export {
  BlockAccounts,
  BlockStore,
  type BlockStoreOptions,
  type CommittedBlock,
  type KnownBlockParts,
  type StoredTx,
  type TxLocation,
} from "./store.ts";
