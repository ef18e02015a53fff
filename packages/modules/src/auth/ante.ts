import {
  addressBytes,
  addressOf,
  BttError,
  type DecodedTx,
  moduleAddress,
  type PublicKey,
  PublicKeySchema,
  parseAmount,
  validatePublicKey,
  validateTxBody,
} from "@btt/core";
import { equals } from "@bufbuild/protobuf";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import type { DecodedMessage, MessageRouter } from "../framework/router.ts";
import type { KVStore } from "../framework/store.ts";
import type { BankKeeperForFees } from "./expected-keepers.ts";
import { requiredFee } from "./fee.ts";
import type { AuthKeeper } from "./keeper.ts";
import type { AuthParamsStore } from "./params.ts";

export const FEE_COLLECTOR = moduleAddress("fee_collector");

/** What the checks established about a transaction, for signature verification and for `apply`. */
export interface AnteOutcome {
  readonly sender: string;
  readonly nonce: bigint;
  readonly fee: bigint;
  readonly feeDenom: string;
  /** The key that must have signed: the stored one, or the one the tx introduces. */
  readonly publicKey: PublicKey;
  /** True when the tx introduces the account's key, which `apply` then stores. */
  readonly introducesKey: boolean;
  readonly messages: readonly DecodedMessage[];
}

/** Transactions of the sender already queued ahead of this one (the mempool's; 0 in a block). */
export interface NonceWindow {
  readonly pending: bigint;
}

/** A tx must carry exactly the next nonce after the committed one and the sender's pending txs. */
function checkNonce(nonce: bigint, committed: bigint, pending: bigint): void {
  const next = committed + pending;
  if (nonce === next) return;
  const details = { expected: next.toString(), got: nonce.toString() };
  if (nonce < committed) {
    throw new BttError(
      "NONCE_TOO_LOW",
      `nonce ${nonce} was already used; the next nonce is ${next}`,
      details,
    );
  }
  if (nonce < next) {
    throw new BttError(
      "NONCE_TOO_LOW",
      `nonce ${nonce} is already pending; the next nonce is ${next}`,
      details,
    );
  }
  throw new BttError("NONCE_TOO_HIGH", `nonce ${nonce} is ahead; the next nonce is ${next}`, details);
}

/**
 * The checks every transaction passes before its messages run (chain id, shape, key,
 * nonce, fee, funds for the fee), and the fee and nonce effects that stay even when a
 * message fails. Signature verification is the caller's, with `outcome.publicKey`.
 */
export class AnteHandler {
  constructor(
    private readonly chainId: string,
    private readonly auth: AuthKeeper,
    private readonly params: AuthParamsStore,
    private readonly bank: BankKeeperForFees,
    private readonly router: MessageRouter,
  ) {}

  /**
   * Reads state, writes nothing; throws a BttError naming the first problem. `decodedMessages`
   * (from an earlier check of the same tx, e.g. at mempool admission) skips the stateless decoding.
   */
  check(
    kv: KVStore,
    decoded: DecodedTx,
    window: NonceWindow = { pending: 0n },
    decodedMessages?: readonly DecodedMessage[],
  ): AnteOutcome {
    const { body, tx } = decoded;
    const params = this.params.read(kv);
    if (decoded.bytes.length > params.maxTxBytes) {
      throw new BttError(
        "TX_TOO_LARGE",
        `transaction has ${decoded.bytes.length} bytes; the limit is ${params.maxTxBytes}`,
      );
    }
    if (body.chainId !== this.chainId) {
      throw new BttError(
        "WRONG_CHAIN_ID",
        `transaction is for chain "${body.chainId}", this is "${this.chainId}"`,
        {
          expected: this.chainId,
          got: body.chainId,
        },
      );
    }
    validateTxBody(body, params);
    addressBytes(body.sender, "sender");
    const messages = decodedMessages ?? body.messages.map((m, i) => this.router.decode(m, body.sender, i));

    const { publicKey, introducesKey } = this.signerKey(
      body.sender,
      this.auth.publicKey(kv, body.sender),
      tx.publicKey,
    );

    checkNonce(body.nonce, this.auth.nextNonce(kv, body.sender), window.pending);

    const fee = parseAmount(body.fee!.amount, "fee");
    if (body.fee!.denom !== params.feeDenom) {
      throw new BttError("INSUFFICIENT_FEE", `fees are paid in ${params.feeDenom}, not ${body.fee!.denom}`);
    }
    const minimum = requiredFee(
      params,
      decoded.bytes.length,
      body.messages.map((m) => m.type),
    );
    if (fee < minimum) {
      throw new BttError(
        "INSUFFICIENT_FEE",
        `fee ${fee}${params.feeDenom} is below the required ${minimum}${params.feeDenom}`,
        {
          required: minimum.toString(),
          offered: fee.toString(),
        },
      );
    }
    const balance = this.bank.balance(kv, body.sender, params.feeDenom);
    if (balance < fee) {
      throw new BttError(
        "INSUFFICIENT_FUNDS",
        `${body.sender} has ${balance}${params.feeDenom}, the fee is ${fee}`,
        {
          address: body.sender,
          available: balance.toString(),
          required: fee.toString(),
        },
      );
    }
    return {
      sender: body.sender,
      nonce: body.nonce,
      fee,
      feeDenom: params.feeDenom,
      publicKey,
      introducesKey,
      messages,
    };
  }

  /** Charges the fee, advances the nonce and records a newly introduced key. */
  apply(ctx: Context, outcome: AnteOutcome): void {
    this.bank.send(
      ctx,
      outcome.sender,
      FEE_COLLECTOR,
      [{ denom: outcome.feeDenom, amount: outcome.fee }],
      false,
    );
    if (outcome.introducesKey) this.auth.setPublicKey(ctx.kv, outcome.sender, outcome.publicKey);
    this.auth.setNextNonce(ctx.kv, outcome.sender, outcome.nonce + 1n);
    ctx.emit(ledgerEvent("auth/fee", { payer: outcome.sender, amount: `${outcome.fee}${outcome.feeDenom}` }));
  }

  private signerKey(
    sender: string,
    stored: PublicKey | undefined,
    offered: PublicKey | undefined,
  ): { publicKey: PublicKey; introducesKey: boolean } {
    if (offered) {
      validatePublicKey(offered);
      if (addressOf(offered) !== sender) {
        throw new BttError(
          "PUBLIC_KEY_MISMATCH",
          `the transaction's public key does not belong to ${sender}`,
        );
      }
      if (stored && !equals(PublicKeySchema, stored, offered)) {
        throw new BttError(
          "PUBLIC_KEY_MISMATCH",
          `the transaction's public key differs from ${sender}'s key`,
        );
      }
      return { publicKey: stored ?? offered, introducesKey: !stored };
    }
    if (!stored) {
      throw new BttError(
        "MISSING_PUBLIC_KEY",
        `${sender} has no key on chain yet: its first transaction must include its public key`,
      );
    }
    return { publicKey: stored, introducesKey: false };
  }
}
