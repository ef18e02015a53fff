// A task result for its requester: the canonical result bytes encrypted under a fresh content
// key, with that key wrapped for the requester's published X25519 key, in one JSON blob whose
// SHA-256 the worker reveals (result_blob). The requester fetches it with GET /v1/blobs/<hash>?task=<id>.
import { fromHex, sha256, toHex } from "@btt/core";
import { decryptBlob, type EncryptionKeyPair, encryptBlob, unwrapContentKey, wrapContentKey } from "@btt/sdk";

const FORMAT = "btt.compute.result/v1";

export function sealResult(canonical: Uint8Array, requester: string, requesterKey: Uint8Array) {
  const { blob, contentKey } = encryptBlob(canonical);
  const w = wrapContentKey(contentKey, requester, requesterKey);
  const envelope = {
    format: FORMAT,
    recipient: w.recipient,
    ephemeral_public_key: toHex(w.ephemeralPublicKey),
    wrapped_key: toHex(w.wrappedKey),
    nonce: toHex(w.nonce),
    ciphertext: toHex(blob),
  };
  const bytes = new TextEncoder().encode(JSON.stringify(envelope));
  return { bytes, sha256: toHex(sha256(bytes)) };
}

/** The canonical result bytes, for the requester holding `keys`. */
export function openResult(bytes: Uint8Array, keys: EncryptionKeyPair): Uint8Array {
  const e = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, string>;
  if (e.format !== FORMAT) throw new Error(`not a ${FORMAT} blob`);
  const contentKey = unwrapContentKey(
    {
      recipient: e.recipient!,
      ephemeralPublicKey: fromHex(e.ephemeral_public_key!),
      wrappedKey: fromHex(e.wrapped_key!),
      nonce: fromHex(e.nonce!),
    },
    keys,
  );
  return decryptBlob(fromHex(e.ciphertext!), contentKey);
}
