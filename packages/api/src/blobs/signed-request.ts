// Proof that a request comes from an account: its key, a timestamp and a one-time nonce signed
// with a domain prefix (the SDK's signedRequestHeaders). Replays are refused while their
// timestamp is inside the skew window; older ones fail the timestamp check.
import { addressOf, BttError, fromHex, PublicKeySchema, utf8, verifySignature } from "@btt/core";
import { create } from "@bufbuild/protobuf";

export const BLOB_REQUEST_DOMAIN = "btt/blob-request/v1";
export const MAX_SKEW_MS = 60_000;
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const HEX = /^(?:[0-9a-f]{2})+$/;

const refuse = (message: string, field: string) => new BttError("UNAUTHORIZED", message, { field });

function header(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name];
  if (typeof v !== "string" || v === "") throw refuse(`missing header ${name}`, name);
  return v;
}

/** Seen nonces until their timestamp leaves the window; at most `max` kept (then requests wait). */
export class ReplayWindow {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 100_000) {}

  /** Records the nonce; false if it was already seen. */
  claim(key: string, timestampMs: number, nowMs: number): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.max) {
      // Drop the nonces whose timestamp can no longer pass the skew check anyway.
      for (const [k, t] of this.seen) if (t < nowMs - MAX_SKEW_MS) this.seen.delete(k);
      if (this.seen.size >= this.max)
        throw new BttError("RATE_LIMITED", "too many signed requests in the replay window; retry shortly");
    }
    this.seen.set(key, timestampMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Checks a signed request's headers; returns the proven account's address. */
export function verifySignedRequest(
  headers: Record<string, string | string[] | undefined>,
  method: string,
  target: string,
  replay: ReplayWindow,
  nowMs = Date.now(),
): string {
  const address = header(headers, "x-btt-address");
  const keyType = header(headers, "x-btt-key-type");
  const keyHex = header(headers, "x-btt-public-key");
  const timestamp = header(headers, "x-btt-timestamp");
  const nonce = header(headers, "x-btt-nonce");
  const sigHex = header(headers, "x-btt-signature");
  if (!/^[0-9]{1,16}$/.test(timestamp))
    throw refuse("x-btt-timestamp must be milliseconds since the epoch", "x-btt-timestamp");
  const ts = Number(timestamp);
  if (Math.abs(ts - nowMs) > MAX_SKEW_MS)
    throw refuse(
      `x-btt-timestamp is more than ${MAX_SKEW_MS / 1000} s from the gateway's clock`,
      "x-btt-timestamp",
    );
  if (!NONCE.test(nonce)) throw refuse("x-btt-nonce must be 16–64 characters [A-Za-z0-9_-]", "x-btt-nonce");
  if (!HEX.test(keyHex) || !HEX.test(sigHex))
    throw refuse("key and signature must be lowercase hex", "x-btt-signature");
  const keyCase = keyType === "ed25519" ? "ed25519" : keyType === "ml-dsa-65" ? "mlDsa65" : undefined;
  if (!keyCase) throw refuse("x-btt-key-type must be ed25519 or ml-dsa-65", "x-btt-key-type");
  const key = create(PublicKeySchema, { key: { case: keyCase, value: fromHex(keyHex) } });
  let ok = false;
  try {
    if (addressOf(key) !== address)
      throw refuse("x-btt-public-key is not the key of x-btt-address", "x-btt-public-key");
    const message = utf8.encode(
      `${BLOB_REQUEST_DOMAIN}\n${method.toUpperCase()}\n${target}\n${timestamp}\n${nonce}`,
    );
    ok = verifySignature(key, message, fromHex(sigHex));
  } catch (err) {
    if (err instanceof BttError && err.code === "UNAUTHORIZED") throw err;
    ok = false;
  }
  if (!ok) throw refuse("the request signature does not verify", "x-btt-signature");
  if (!replay.claim(`${address}/${nonce}`, ts, nowMs))
    throw refuse("this signed request was already used (replay)", "x-btt-nonce");
  return address;
}
