// Encrypted records: publish the X25519 key derived from a keyring key's seed, encrypt a file
// locally and register it (the node only ever sees ciphertext), fetch and decrypt one with a
// signed request, list an owner's records. Crypto is the SDK's (sealRecord / openRecord).
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { BttError, decodeAddress, fromHex, type Signer } from "@btt/core";
import {
  BttApiError,
  type BttClient,
  encryptionKeyFromSeed,
  openRecord,
  records,
  rewrapContentKey,
  sealRecord,
  signedRequestHeaders,
  wrappedKeysFromJson,
} from "@btt/sdk";
import { withNode } from "../client.ts";
import { emit, homeOf, keyringOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import { keyringPassphrase } from "../keyring/passphrase.ts";
import type { Command, ParsedValues } from "../router.ts";
import { disclosureCommands } from "./disclosure.ts";

const PURPOSES = ["treatment", "payment", "research", "insurance"];

interface RecordJson {
  id: string;
  owner: string;
  blob_sha256: string;
  data_class: string;
  jurisdiction: string;
  wrapped_keys: Array<Record<string, string>>;
}

/** Opens a keyring key: its signer and seed (the seed also gives the X25519 key). */
export async function unlockKey(
  values: ParsedValues,
  name: string,
): Promise<{ signer: Signer; seed: Uint8Array }> {
  const keyring = keyringOf(homeOf(values));
  keyring.get(name);
  const passphrase = await keyringPassphrase({ key: name, creating: false });
  const { signer, secret } = await keyring.unlock(name, passphrase);
  return { signer, seed: secret.seed };
}

/** The gateway's error body as a BttApiError, so the CLI prints its reason (and denial code). */
export async function gatewayError(res: Response, what: string): Promise<BttApiError> {
  const text = await res.text();
  let body: { code?: string; message?: string; details?: Record<string, unknown> } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the status alone says what happened
  }
  const denial = typeof body.details?.code === "string" ? (body.details.code as string) : undefined;
  // The gateway says "access refused: <why>"; `what` already says it was refused.
  const reason = (body.message ?? `HTTP ${res.status}`).replace(/^access refused: /, "");
  const message = `${what}: ${reason}${denial && !reason.includes(denial) ? ` (${denial})` : ""}`;
  return new BttApiError(body.code ?? "INTERNAL", message, res.status, body.details ?? {});
}

export async function fetchOrUnreachable(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new BttApiError(
      "NETWORK_ERROR",
      `${init.method ?? "GET"} ${url} failed: ${(err as Error).message}`,
      0,
    );
  }
}

export async function recordOf(client: BttClient, id: string): Promise<RecordJson> {
  const r = (await client.query("records", "record", { id })) as { record?: RecordJson };
  if (!r.record) throw new BttError("NOT_FOUND", `no record ${id}`);
  return r.record;
}

/** An account's published X25519 key; without one nothing can be wrapped for it. */
export async function publishedKey(client: BttClient, address: string): Promise<Uint8Array> {
  let r: { public_key?: string };
  try {
    r = (await client.query("records", "encryption_key", { address })) as { public_key?: string };
  } catch (err) {
    if (err instanceof BttApiError && err.code === "NOT_FOUND") r = {};
    else throw err;
  }
  if (!r.public_key) {
    throw new BttError(
      "NOT_FOUND",
      `${address} has published no encryption key (it runs btt tx records set-key first)`,
      { address },
    );
  }
  return fromHex(r.public_key);
}

const WAIT_LINE = (hash: string, height: unknown) => `tx ${hash} committed in block ${height}`;

const setKeyCommand: Command = {
  name: "set-key",
  summary: "publish the X25519 key derived from a keyring key's seed, so records can be shared with it",
  details:
    "The encryption key is derived from the key's 32-byte seed (HKDF-SHA256, info btt/x25519/v1):\n" +
    "the keyring keeps one secret for signing and for opening records. Run it once per key.",
  args: [{ name: "key-name", description: "the key in the keyring" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [name] = args as [string];
    checkKeyName(name);
    await withNode(nodeUrlOf(values), async (client) => {
      const { signer, seed } = await unlockKey(values, name);
      const { publicKey } = encryptionKeyFromSeed(seed);
      const result = await client.signAndSubmit(signer, [records.setEncryptionKey(publicKey)], {
        wait: true,
      });
      const hex = Buffer.from(publicKey).toString("hex");
      emit(
        values,
        {
          hash: result.hash,
          height: result.height,
          code_name: result.code_name,
          address: signer.address,
          public_key: hex,
        },
        [
          `Published encryption key ${hex} for ${name} (${signer.address})`,
          WAIT_LINE(result.hash, result.height),
        ],
      );
    });
  },
};

/**
 * Encrypts `plaintext` here for its owner (the signer) and `to`, uploads the ciphertext to the
 * gateway and registers the record on chain: what `btt records put` and `btt compute submit` do.
 */
export async function storeRecord(
  client: BttClient,
  url: string,
  signer: Signer,
  seed: Uint8Array,
  plaintext: Uint8Array,
  opts: { id: string; dataClass: string; jurisdiction: string; to?: readonly string[] },
) {
  const owner = { address: signer.address, publicKey: encryptionKeyFromSeed(seed).publicKey };
  const others = [...new Set(opts.to ?? [])].filter((a) => a !== signer.address);
  const recipients = [owner];
  for (const address of others) recipients.push({ address, publicKey: await publishedKey(client, address) });
  // The chain keeps wrapped keys sorted by recipient.
  recipients.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  const sealed = sealRecord(new Uint8Array(plaintext), recipients);
  // Built (and checked) before the upload, so bad input uploads nothing.
  const message = records.register({
    id: opts.id,
    blobSha256: sealed.sha256,
    dataClass: opts.dataClass,
    jurisdiction: opts.jurisdiction,
    wrappedKeys: sealed.wrappedKeys,
  });
  const put = await fetchOrUnreachable(`${url}/v1/blobs/${sealed.sha256}`, {
    method: "PUT",
    headers: { "content-type": "application/octet-stream" },
    body: sealed.blob,
  });
  if (put.status !== 200 && put.status !== 201) throw await gatewayError(put, "upload refused");
  const result = await client.signAndSubmit(signer, [message], { wait: true });
  return { sealed, recipients, result };
}

const putCommand: Command = {
  name: "put",
  summary: "encrypt a file locally, upload the ciphertext and register the record on chain",
  details:
    "The file is encrypted here under a fresh content key (XChaCha20-Poly1305); that key is wrapped\n" +
    "for the owner and each --to recipient (each must have run btt tx records set-key). The node\n" +
    "stores only ciphertext. Data classes: imaging, diagnosis, payment, identity, research. The\n" +
    "chain checks the residency rules for the jurisdiction (ISO 3166-1 alpha-2) at registration.",
  args: [
    { name: "key-name", description: "the owner's key in the keyring" },
    { name: "file", description: "the file to encrypt and store" },
  ],
  options: {
    class: {
      type: "string",
      value: "<data_class>",
      description: "what the data is, e.g. imaging (required)",
    },
    jurisdiction: { type: "string", value: "<CC>", description: "where it is stored, e.g. DE (required)" },
    to: {
      type: "string",
      value: "<address,…>",
      description: "recipients besides the owner, comma-separated",
    },
    id: { type: "string", value: "<id>", description: "the record id (default: rec-<random hex>)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [name, file] = args as [string, string];
    checkKeyName(name);
    const dataClass = values.class as string | undefined;
    const jurisdiction = values.jurisdiction as string | undefined;
    if (!dataClass) throw new BttError("INVALID_PARAMS", "records put needs --class <data_class>");
    if (!jurisdiction) throw new BttError("INVALID_PARAMS", "records put needs --jurisdiction <CC>");
    const to = ((values.to as string | undefined) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    for (const a of to) decodeAddress(a, "--to");
    if (!existsSync(file) || !statSync(file).isFile())
      throw new BttError("NOT_FOUND", `no file ${file}`, { file });
    const id = (values.id as string | undefined) ?? `rec-${randomBytes(8).toString("hex")}`;
    const url = nodeUrlOf(values);
    await withNode(url, async (client) => {
      const { signer, seed } = await unlockKey(values, name);
      const { sealed, recipients, result } = await storeRecord(
        client,
        url,
        signer,
        seed,
        readFileSync(file),
        {
          id,
          dataClass,
          jurisdiction,
          to,
        },
      );
      emit(
        values,
        {
          id,
          blob_sha256: sealed.sha256,
          owner: signer.address,
          recipients: recipients.map((r) => r.address),
          bytes: sealed.blob.length,
          hash: result.hash,
          height: result.height,
          code_name: result.code_name,
        },
        [
          `Stored record ${id}`,
          `  blob        ${sealed.sha256} (${sealed.blob.length} bytes of ciphertext)`,
          `  recipients  ${recipients.map((r) => r.address).join(", ")}`,
          `  ${WAIT_LINE(result.hash, result.height)}`,
        ],
      );
    });
  },
};

const getCommand: Command = {
  name: "get",
  summary: "fetch a record's blob with a signed request, decrypt it and write the plaintext",
  details:
    "The gateway serves the blob to its owner, or to an account the owner's consent allows for\n" +
    "--purpose (treatment, payment, research, insurance); it records every decision on chain.\n" +
    "Nothing is written unless the blob was served and decrypts.",
  args: [
    { name: "key-name", description: "the reader's key in the keyring" },
    { name: "record-id", description: "the record's id" },
  ],
  options: {
    out: { type: "string", value: "<file>", description: "where to write the plaintext (required)" },
    purpose: {
      type: "string",
      value: "<purpose>",
      description: "why you read it (default: treatment)",
      default: "treatment",
    },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [name, id] = args as [string, string];
    checkKeyName(name);
    const out = values.out as string | undefined;
    if (!out) throw new BttError("INVALID_PARAMS", "records get needs --out <file>");
    const purpose = values.purpose as string;
    if (!PURPOSES.includes(purpose))
      throw new BttError("INVALID_PARAMS", `--purpose "${purpose}" is not one of ${PURPOSES.join(", ")}`);
    const url = nodeUrlOf(values);
    await withNode(url, async (client) => {
      const record = await recordOf(client, id);
      const { signer, seed } = await unlockKey(values, name);
      const path = `/v1/blobs/${record.blob_sha256}?record=${encodeURIComponent(id)}&purpose=${purpose}`;
      const res = await fetchOrUnreachable(`${url}${path}`, {
        headers: signedRequestHeaders(signer, "GET", path),
      });
      if (res.status !== 200) throw await gatewayError(res, `access to ${id} refused`);
      const blob = new Uint8Array(await res.arrayBuffer());
      const plaintext = openRecord(
        blob,
        wrappedKeysFromJson(record.wrapped_keys),
        signer.address,
        encryptionKeyFromSeed(seed),
      );
      // Temp file then rename: a failure never leaves a partial plaintext under --out.
      const tmp = `${out}.${process.pid}.tmp`;
      writeFileSync(tmp, plaintext, { mode: 0o600 });
      renameSync(tmp, out);
      const audit = res.headers.get("x-btt-audit-tx");
      emit(
        values,
        { id, out, bytes: plaintext.length, blob_sha256: record.blob_sha256, purpose, audit_tx: audit },
        [`Wrote ${plaintext.length} bytes of ${id} to ${out}`, ...(audit ? [`  audit tx ${audit}`] : [])],
      );
    });
  },
};

const shareCommand: Command = {
  name: "share",
  summary: "give one more account the record's key (wrapped for its published key); the blob stays as is",
  details:
    "Opens the content key wrapped for you (the owner) and wraps it for <address>, which must have\n" +
    "run btt tx records set-key. The gateway still serves the blob only to the owner or to whom the\n" +
    "owner's consent allows; sharing the key is what lets that account decrypt it.",
  args: [
    { name: "key-name", description: "the owner's key in the keyring" },
    { name: "record-id", description: "the record's id" },
    { name: "address", description: "the account to share with" },
  ],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [name, id, address] = args as [string, string, string];
    checkKeyName(name);
    decodeAddress(address, "address");
    await withNode(nodeUrlOf(values), async (client) => {
      const record = await recordOf(client, id);
      const { signer, seed } = await unlockKey(values, name);
      if (record.owner !== signer.address)
        throw new BttError("UNAUTHORIZED", `record ${id} belongs to ${record.owner}, not ${signer.address}`);
      const wrapped = rewrapContentKey(
        wrappedKeysFromJson(record.wrapped_keys),
        signer.address,
        encryptionKeyFromSeed(seed),
        address,
        await publishedKey(client, address),
      );
      const result = await client.signAndSubmit(signer, [records.addRecipient(id, wrapped)], { wait: true });
      emit(values, { id, recipient: address, hash: result.hash, height: result.height }, [
        `Shared ${id} with ${address}`,
        WAIT_LINE(result.hash, result.height),
      ]);
    });
  },
};

const unshareCommand: Command = {
  name: "unshare",
  summary: "remove an account's wrapped key from a record (what it already decrypted, it keeps)",
  args: [
    { name: "key-name", description: "the owner's key in the keyring" },
    { name: "record-id", description: "the record's id" },
    { name: "address", description: "the account to remove" },
  ],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [name, id, address] = args as [string, string, string];
    checkKeyName(name);
    decodeAddress(address, "address");
    await withNode(nodeUrlOf(values), async (client) => {
      const { signer } = await unlockKey(values, name);
      const result = await client.signAndSubmit(signer, [records.removeRecipient(id, address)], {
        wait: true,
      });
      emit(values, { id, removed: address, hash: result.hash, height: result.height }, [
        `Removed ${address} from ${id}`,
        WAIT_LINE(result.hash, result.height),
      ]);
    });
  },
};

const listCommand: Command = {
  name: "list",
  summary: "an owner's records: id, data class, jurisdiction, recipients",
  args: [{ name: "owner", description: "a btt1… address" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [owner] = args as [string];
    decodeAddress(owner, "owner");
    const r = (await withNode(nodeUrlOf(values), (c) => c.query("records", "records", { owner }))) as {
      records: RecordJson[];
    };
    const list = r.records ?? [];
    emit(
      values,
      { owner, records: list },
      list.length === 0
        ? [`${owner} owns no records`]
        : list.map(
            (x) =>
              `${x.id}  ${x.data_class} ${x.jurisdiction}  blob ${x.blob_sha256}  ` +
              `recipients ${(x.wrapped_keys ?? []).map((w) => w.recipient).join(",")}`,
          ),
    );
  },
};

/** `btt records put|get`: the file-level commands (crypto here, tx and download included). */
export const recordsCommand: Command = {
  name: "records",
  summary: "encrypted records: store a file encrypted, read one back, disclose chosen fields",
  subcommands: [putCommand, getCommand, shareCommand, unshareCommand, ...disclosureCommands],
};

export const recordsTxCommand: Command = {
  name: "records",
  summary: "records transactions",
  subcommands: [setKeyCommand],
};

export const recordsQueryCommand: Command = {
  name: "records",
  summary: "records queries",
  subcommands: [listCommand],
};
