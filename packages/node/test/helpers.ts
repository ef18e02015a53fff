import { createTxBody, decodeTx, ed25519Signer, encodeTx, type Msg, type Signer, signTx } from "@btt/core";
import type { BlockTx } from "../src/app.ts";
import { createDevGenesis, type GenesisDoc } from "../src/genesis.ts";

export const TEST_CHAIN_ID = "btt-test-1";

/** Deterministic keys: seed i. */
export function signer(i: number): Signer {
  return ed25519Signer(new Uint8Array(32).fill(i));
}

export interface TestChain {
  genesis: GenesisDoc;
  validator: Signer;
  /** Funded accounts with 1,000,000,000 ubtt each; accounts[0] may mint "ubtt". */
  accounts: Signer[];
}

export function testChain(accounts = 4): TestChain {
  const validator = signer(200);
  const funded = Array.from({ length: accounts }, (_, i) => signer(i + 1));
  const genesis = createDevGenesis({
    chainId: TEST_CHAIN_ID,
    genesisTime: "2026-01-01T00:00:00Z",
    validator,
    funded: funded.map((s) => ({ signer: s, ubtt: 1_000_000_000n })),
    minters: [funded[0]!.address],
  });
  return { genesis, validator, accounts: funded };
}

export interface TxOptions {
  fee?: bigint;
  chainId?: string;
  includeKey?: boolean;
  memo?: string;
}

export const TEST_FEE = 10_000n;

export function signedTx(from: Signer, nonce: bigint, messages: Msg[], opts: TxOptions = {}): Uint8Array {
  const body = createTxBody({
    chainId: opts.chainId ?? TEST_CHAIN_ID,
    sender: from.address,
    nonce,
    fee: { denom: "ubtt", amount: opts.fee ?? TEST_FEE },
    messages,
    memo: opts.memo ?? "",
  });
  return encodeTx(signTx(body, from, opts.includeKey ?? false));
}

export function blockTx(bytes: Uint8Array): BlockTx {
  return { decoded: decodeTx(bytes), signatureVerified: false };
}
