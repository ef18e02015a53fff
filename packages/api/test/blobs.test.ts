// Encrypted records end to end: a patient encrypts a scan with the SDK, uploads the blob, registers
// the record on chain (compliance checked), and the gateway serves it only to signed requests from
// the owner or a consented clinic; every decision becomes a records/Access audit tx.
import { toHex } from "@btt/core";
import {
  BttClient,
  consent,
  decryptBlob,
  encryptionKeyFromSeed,
  identity,
  openRecord,
  records,
  sealRecord,
  signedRequestHeaders,
  unwrapContentKey,
  wrappedKeysFromJson,
} from "@btt/sdk";
import { sha256 } from "@noble/hashes/sha2.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SKEW_MS, ReplayWindow, verifySignedRequest } from "../src/blobs/signed-request.ts";
import { type Json, signer, startTestApi, type TestApi } from "./helpers.ts";

const LATER = 4_000_000_000_000;

describe("encrypted records and the blob store", () => {
  let t: TestApi;
  let client: BttClient;
  const gateway = signer(5); // accounts[4]: funded, used only by the gateway
  beforeAll(async () => {
    t = await startTestApi({ blobs: { gatewayKey: gateway, maxBytes: 4096 } }, 5);
    client = new BttClient({ url: t.url });
  });
  afterAll(() => t.close());

  const fetchBlob = (path: string, headers: Record<string, string>) => fetch(`${t.url}${path}`, { headers });
  const putBlob = (hash: string, bytes: Uint8Array) =>
    fetch(`${t.url}/v1/blobs/${hash}`, {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: bytes,
    });
  const auditOf = async (res: Response, body?: Json) => {
    const hash = res.headers.get("x-btt-audit-tx") ?? body?.details?.audit_tx;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const tx = (await client.waitForTx(hash)) as Json;
    expect(tx.code_name).toBe("OK");
    return tx.events.find((e: Json) => e.type.startsWith("records/access_")) as Json;
  };
  const attr = (e: Json, key: string) => e.attributes.find((a: Json) => a.key === key)?.value;

  it("uploads, registers, serves owner and grantee, refuses a stranger and replays, audits each", async () => {
    const [authority, patient, clinic, stranger] = t.chain.accounts as [
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
    ];
    await client.signAndSubmit(
      authority,
      [
        identity.issueCredential({
          subject: patient.address,
          type: "patient",
          jurisdiction: "DE",
          expiresAtMs: LATER,
        }),
        identity.issueCredential({
          subject: clinic.address,
          type: "clinic_licence",
          jurisdiction: "FR",
          expiresAtMs: LATER,
        }),
      ],
      { wait: true },
    );
    // Each party publishes the X25519 key derived from its seed.
    const patientKeys = encryptionKeyFromSeed(patient.seed);
    const clinicKeys = encryptionKeyFromSeed(clinic.seed);
    await client.signAndSubmit(patient, [records.setEncryptionKey(patientKeys.publicKey)], { wait: true });
    await client.signAndSubmit(clinic, [records.setEncryptionKey(clinicKeys.publicKey)], { wait: true });
    const published = (await client.query("records", "encryption_key", { address: clinic.address })) as Json;
    expect(published.public_key).toBe(toHex(clinicKeys.publicKey));

    const scan = new TextEncoder().encode("MRI 2026-11-22: no findings");
    const sealed = sealRecord(scan, [
      { address: patient.address, publicKey: patientKeys.publicKey },
      { address: clinic.address, publicKey: clinicKeys.publicKey },
    ]);
    expect(sealed.sha256).toBe(toHex(sha256(sealed.blob)));

    // A blob whose bytes do not match its name is refused; too large is 413; the real one is stored.
    const wrong = await putBlob(sealed.sha256, new Uint8Array([...sealed.blob.subarray(1), 0]));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as Json).code).toBe("INVALID_REQUEST");
    const big = new Uint8Array(5000);
    expect((await putBlob(toHex(sha256(big)), big)).status).toBe(413);
    const put = await putBlob(sealed.sha256, sealed.blob);
    expect(put.status).toBe(201);
    expect((await putBlob(sealed.sha256, sealed.blob)).status).toBe(200);

    // Storing DE imaging in CN breaks the residency rules; in DE it is allowed.
    const register = (jurisdiction: string, id: string) =>
      records.register({
        id,
        blobSha256: sealed.sha256,
        dataClass: "imaging",
        jurisdiction,
        wrappedKeys: sealed.wrappedKeys,
      });
    await expect(client.signAndSubmit(patient, [register("CN", "scan-cn")], { wait: true })).rejects.toThrow(
      /UNAUTHORIZED: imaging data of DE may not be stored in CN/,
    );
    await client.signAndSubmit(patient, [register("DE", "scan-1")], { wait: true });
    const stored = (await client.query("records", "record", { id: "scan-1" })) as Json;
    expect(stored.record).toMatchObject({
      owner: patient.address,
      data_class: "imaging",
      jurisdiction: "DE",
    });
    expect((await client.query("records", "records", { owner: patient.address })) as Json).toMatchObject({
      records: [{ id: "scan-1" }],
    });
    // Only the owner changes recipients.
    await expect(
      client.signAndSubmit(stranger, [records.removeRecipient("scan-1", clinic.address)], { wait: true }),
    ).rejects.toThrow(/UNAUTHORIZED: only the owner/);

    const path = `/v1/blobs/${sealed.sha256}?record=scan-1`;
    const wrapped = wrappedKeysFromJson(stored.record.wrapped_keys);

    // The owner fetches and decrypts.
    const mine = await fetchBlob(path, signedRequestHeaders(patient, "GET", path));
    expect(mine.status).toBe(200);
    const mineBytes = new Uint8Array(await mine.arrayBuffer());
    expect(new TextDecoder().decode(openRecord(mineBytes, wrapped, patient.address, patientKeys))).toBe(
      "MRI 2026-11-22: no findings",
    );
    const ownerAudit = await auditOf(mine);
    expect(ownerAudit.type).toBe("records/access_granted");
    expect(attr(ownerAudit, "reason")).toBe("owner");

    // The clinic, before consent: 403, no bytes, audited as refused.
    const early = await fetchBlob(path, signedRequestHeaders(clinic, "GET", path));
    expect(early.status).toBe(403);
    const earlyBody = (await early.json()) as Json;
    expect(earlyBody.details.code).toBe("NO_CONSENT");
    expect(JSON.stringify(earlyBody)).not.toContain(toHex(sealed.blob.subarray(0, 16)));
    expect((await auditOf(early, earlyBody)).type).toBe("records/access_refused");

    await client.signAndSubmit(
      patient,
      [
        consent.grant({
          grantee: clinic.address,
          dataClasses: ["imaging"],
          purpose: "treatment",
          expiresAtMs: LATER,
        }),
      ],
      { wait: true },
    );
    const headers = signedRequestHeaders(clinic, "GET", path);
    const granted = await fetchBlob(path, headers);
    expect(granted.status).toBe(200);
    const clinicBytes = new Uint8Array(await granted.arrayBuffer());
    expect(new TextDecoder().decode(openRecord(clinicBytes, wrapped, clinic.address, clinicKeys))).toBe(
      "MRI 2026-11-22: no findings",
    );
    const grantAudit = await auditOf(granted);
    expect(grantAudit.type).toBe("records/access_granted");
    expect(attr(grantAudit, "grantee")).toBe(clinic.address);
    expect(attr(grantAudit, "gateway")).toBe(gateway.address);

    // The same signed request again: refused as a replay, no bytes.
    const replayed = await fetchBlob(path, headers);
    expect(replayed.status).toBe(403);
    expect(((await replayed.json()) as Json).message).toMatch(/replay/);

    // The grant is for treatment: the same clinic asking for research is refused.
    const research = `${path}&purpose=research`;
    const wrongPurpose = await fetchBlob(research, signedRequestHeaders(clinic, "GET", research));
    expect(wrongPurpose.status).toBe(403);
    expect(((await wrongPurpose.json()) as Json).details.code).toBe("CONSENT_PURPOSE");

    // A third account: 403, no bytes, audited; and it cannot open the key it does not have.
    const third = await fetchBlob(path, signedRequestHeaders(stranger, "GET", path));
    expect(third.status).toBe(403);
    const thirdBody = (await third.json()) as Json;
    const thirdAudit = await auditOf(third, thirdBody);
    expect(thirdAudit.type).toBe("records/access_refused");
    expect(attr(thirdAudit, "grantee")).toBe(stranger.address);
    expect(() =>
      openRecord(clinicBytes, wrapped, stranger.address, encryptionKeyFromSeed(stranger.seed)),
    ).toThrow(/no key wrapped/);
    const strangerKeys = encryptionKeyFromSeed(stranger.seed);
    expect(() =>
      unwrapContentKey({ ...wrapped[0]!, recipient: wrapped[0]!.recipient }, strangerKeys),
    ).toThrow(/does not open/);

    // Signed with the wrong key, signed for another path, or stale: refused before any decision.
    const forged = { ...signedRequestHeaders(clinic, "GET", path), "x-btt-address": stranger.address };
    expect((await fetchBlob(path, forged)).status).toBe(403);
    const otherPath = signedRequestHeaders(clinic, "GET", `${path}&purpose=payment`);
    expect((await fetchBlob(path, otherPath)).status).toBe(403);
    const stale = signedRequestHeaders(clinic, "GET", path, { nowMs: Date.now() - MAX_SKEW_MS - 5_000 });
    expect(((await (await fetchBlob(path, stale)).json()) as Json).message).toMatch(/clock/);
    expect((await fetchBlob(path, {})).status).toBe(403);

    // The record's counters: owner + clinic allowed; clinic early, research, stranger refused.
    const counted = (await client.query("records", "record", { id: "scan-1" })) as Json;
    expect(counted.accesses).toEqual({ allowed: "2", refused: "3" });
  });

  it("a tampered ciphertext or wrapped key fails to decrypt", () => {
    const keys = encryptionKeyFromSeed(new Uint8Array(32).fill(9));
    const me = signer(9).address;
    const sealed = sealRecord(new TextEncoder().encode("diagnosis"), [
      { address: me, publicKey: keys.publicKey },
    ]);
    const tampered = sealed.blob.slice();
    tampered[tampered.length - 20]! ^= 1;
    expect(() => decryptBlob(tampered, sealed.contentKey)).toThrow(/does not decrypt/);
    const key = sealed.wrappedKeys[0]!;
    const badKey = { ...key, wrappedKey: key.wrappedKey.slice() };
    badKey.wrappedKey[0]! ^= 1;
    expect(() => unwrapContentKey(badKey, keys)).toThrow(/does not open/);
    // The recipient address is authenticated: a key relabelled for someone else does not open.
    expect(() => unwrapContentKey({ ...key, recipient: signer(8).address }, keys)).toThrow(/does not open/);
    expect(new TextDecoder().decode(decryptBlob(sealed.blob, unwrapContentKey(key, keys)))).toBe("diagnosis");
  });

  it("the replay window is bounded and forgets nonces whose time has passed", () => {
    const w = new ReplayWindow(2);
    expect(w.claim("a/1", 1_000, 1_000)).toBe(true);
    expect(w.claim("a/1", 1_000, 1_000)).toBe(false);
    expect(w.claim("a/2", 1_000, 1_000)).toBe(true);
    expect(() => w.claim("a/3", 1_000, 1_000)).toThrow(/replay window/);
    expect(w.claim("a/3", 100_000, 100_000)).toBe(true);
    expect(w.size).toBe(1);
    expect(() => verifySignedRequest({ "x-btt-address": "x" }, "GET", "/", new ReplayWindow())).toThrow(
      /missing header x-btt-key-type/,
    );
  });
});
