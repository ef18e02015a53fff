// The gateway's own account: it signs the records/Access audit entries. Its key lives in the
// node's data directory (gateway_key.json, created on first use, mode 0600); the operator funds
// its address so it can pay the fees.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  BttError,
  createTxBody,
  ed25519Signer,
  encodeTx,
  fromHex,
  type Msg,
  mlDsa65Signer,
  type Signer,
  signTx,
  toHex,
} from "@btt/core";
import { estimateFee, parseFeeSchedule, recordsMsg } from "@btt/modules";
import type { BttNode } from "@btt/node";

export function loadOrCreateGatewayKey(file: string): Signer {
  if (existsSync(file)) {
    const o = JSON.parse(readFileSync(file, "utf8")) as { type?: string; seed?: string };
    if (typeof o.seed !== "string" || !/^[0-9a-f]{64}$/.test(o.seed))
      throw new BttError("INVALID_PARAMS", `${file} holds no 32-byte hex seed`);
    return o.type === "ml-dsa-65" ? mlDsa65Signer(fromHex(o.seed)) : ed25519Signer(fromHex(o.seed));
  }
  const signer = ed25519Signer();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ type: signer.type, address: signer.address, seed: toHex(signer.seed) }, null, 2)}\n`,
    {
      mode: 0o600,
      flag: "wx",
    },
  );
  return signer;
}

/** An audit entry: the fields of a records/Access message. */
export type AccessAudit = Parameters<typeof recordsMsg.access>[0];

/** Signs and submits audit entries with the gateway key, one tx each, nonces in order. */
export class AuditSubmitter {
  private queue: Promise<unknown> = Promise.resolve();
  private signerValue: Signer | undefined;

  constructor(
    private readonly node: BttNode,
    private readonly signerSource: () => Signer,
  ) {}

  get signer(): Signer {
    this.signerValue ??= this.signerSource();
    return this.signerValue;
  }

  /** Resolves with the tx hash once the mempool admitted it; throws if it was refused. */
  submit(entry: AccessAudit): Promise<string> {
    const run = this.queue.then(() => this.submitNow(recordsMsg.access(entry)));
    this.queue = run.catch(() => {});
    return run;
  }

  private async submitNow(message: Msg): Promise<string> {
    const { app, committed } = this.node.ledger;
    const signer = this.signer;
    const nonce =
      app.auth.keeper.nextNonce(committed, signer.address) +
      BigInt(this.node.mempool.pendingOf(signer.address));
    const schedule = parseFeeSchedule(app.auth.params.raw(committed));
    const includeKey = app.auth.keeper.publicKey(committed, signer.address) === undefined;
    const draft = { chainId: app.chainId, sender: signer.address, nonce, messages: [message], memo: "" };
    const fee = { denom: schedule.feeDenom, amount: estimateFee(schedule, draft, signer, includeKey) };
    return this.node.submit(encodeTx(signTx(createTxBody({ ...draft, fee }), signer, includeKey)));
  }
}
