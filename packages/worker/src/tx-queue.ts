// The worker's own transactions, pipelined: each is signed with the next nonce the queue keeps
// and handed to the node's mempool in order (admission is serial, so nonces never race), but the
// queue does not wait for a commit before admitting the next one. A worker then gets several
// transactions into one block (commits, reveals, its heartbeat) instead of one a block. Any
// refusal makes the queue ask the node for the account's nonce again.
import type { Msg, Signer } from "@btt/core";
import { type BttClient, type SubmitJson, TxFailedError } from "@btt/sdk";

export class TxQueue {
  private admission: Promise<unknown> = Promise.resolve();
  /** The nonce of the next transaction; undefined: ask the node. */
  private nextNonce: bigint | undefined;

  constructor(
    private readonly client: BttClient,
    private readonly signer: Signer,
    private readonly timeoutMs = 20_000,
  ) {}

  /** Resolves with the committed result; rejects with the SDK's TxFailedError when the chain refused it. */
  async send(messages: Msg[]): Promise<SubmitJson> {
    const admit = async () => {
      const nonce = this.nextNonce ?? BigInt((await this.client.account(this.signer.address)).nonce);
      try {
        const submitted = await this.client.signAndSubmit(this.signer, messages, { wait: false, nonce });
        this.nextNonce = nonce + 1n;
        return submitted.hash;
      } catch (err) {
        this.nextNonce = undefined;
        throw err;
      }
    };
    const admitted = this.admission.then(admit, admit);
    this.admission = admitted.catch(() => undefined);
    const hash = await admitted;
    const tx = await this.client.waitForTx(hash, this.timeoutMs).catch((err) => {
      this.nextNonce = undefined;
      throw err;
    });
    if (tx.code !== undefined && tx.code !== 0) {
      // A refused tx may have left its nonce unused: start again from the node's count.
      this.nextNonce = undefined;
      throw new TxFailedError({
        hash,
        code: tx.code,
        code_name: tx.code_name ?? "UNKNOWN",
        log: tx.log ?? "",
        ...(tx.height ? { height: tx.height } : {}),
      });
    }
    return { ...tx, hash };
  }
}
