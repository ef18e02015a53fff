// The API's JSON shapes (packages/api/README.md): snake_case, ledger integers as decimal strings,
// bytes as lowercase hex.

export interface EventJson {
  type: string;
  attributes: Array<{ key: string; value: string }>;
}

export interface TxResultJson {
  code: number;
  code_name: string;
  log: string;
  events: EventJson[];
}

export interface HeaderJson {
  chain_id: string;
  height: string;
  time_ms: string;
  previous_hash: string;
  tx_root: string;
  app_hash: string;
  results_hash: string;
  proposer: string;
}

export interface BlockJson {
  height: string;
  hash: string;
  header: HeaderJson;
  tx_hashes: string[];
  tx_results: TxResultJson[];
  begin_block_events?: EventJson[];
  end_block_events?: EventJson[];
}

export interface StatusJson {
  chain_id: string;
  height: string;
  app_hash: string;
  latest_block_hash: string;
  latest_block_time_ms: string;
  peers: unknown[];
  sync: { catching_up: boolean; mode: string };
  mempool: { txs: number; bytes: number };
  version: string;
}

export interface TxJson extends Partial<TxResultJson> {
  hash: string;
  status: "pending" | "committed";
  height?: string;
  index?: number;
  fee?: string;
  time_ms?: string;
  tx?: unknown;
}

/** POST /v1/txs: `{hash}` when not waiting, the result too when waiting for the commit. */
export interface SubmitJson extends Partial<TxResultJson> {
  hash: string;
  height?: string;
  index?: number;
}

export interface AccountJson {
  address: string;
  /** The next nonce the account's transactions must use (committed state). */
  nonce: string;
  key_type: "ed25519" | "ml-dsa-65" | "multisig" | null;
  /** JSON public key ({"ed25519": hex} …); null until the account's first transaction. */
  public_key: Record<string, unknown> | null;
  balances: Array<{ denom: string; amount: string }>;
}

export interface BalanceJson {
  address: string;
  denom: string;
  amount: string;
  height: string;
  app_hash?: string;
  proof?: string;
  key?: string;
  value?: string | null;
}

export interface StateJson {
  module: string;
  key: string;
  /** The full state key ("<module>/" ‖ key), hex. */
  state_key?: string;
  value: string | null;
  height: string;
  app_hash: string;
  proof: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | undefined;
}

export interface EventRecordJson extends EventJson {
  height: string;
  tx_hash?: string;
}
