// The worker's own transactions, one at a time: each is signed with the account's next nonce and
// waited for until its block commits, so two never take the same nonce.
import type { Msg, Signer } from "@btt/core";
import type { BttClient, SubmitJson } from "@btt/sdk";

export class TxQueue {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: BttClient,
    private readonly signer: Signer,
  ) {}

  /** Resolves with the committed result; rejects with the SDK's TxFailedError when the chain refused it. */
  send(messages: Msg[]): Promise<SubmitJson> {
    const run = () => this.client.signAndSubmit(this.signer, messages, { wait: true, timeoutMs: 20_000 });
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
