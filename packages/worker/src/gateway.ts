// The worker's side of the API's blob gateway: signed fetches of task inputs and uploads of results.
import type { Signer } from "@btt/core";
import { signedRequestHeaders } from "@btt/sdk";

export class BlobGateway {
  constructor(
    private readonly apiUrl: string,
    private readonly signer: Signer,
  ) {}

  /** The input blob of `recordId`, served because this worker holds a slot computing on it. */
  async fetchInput(sha256: string, recordId: string): Promise<Uint8Array> {
    const path = `/v1/blobs/${sha256}?record=${encodeURIComponent(recordId)}`;
    const res = await fetch(`${this.apiUrl}${path}`, {
      headers: signedRequestHeaders(this.signer, "GET", path),
    });
    if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    return new Uint8Array(await res.arrayBuffer());
  }

  async upload(sha256: string, bytes: Uint8Array): Promise<void> {
    const res = await fetch(`${this.apiUrl}/v1/blobs/${sha256}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
    if (!res.ok)
      throw new Error(`PUT /v1/blobs/${sha256}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  }
}
