// Identity and consent: issue and revoke credentials, grant and revoke consent, ask the chain's
// access decision. Messages are built (and checked) by the SDK, signed with a keyring key.
import { BttError, decodeAddress, type Msg } from "@btt/core";
import { consent, type EventJson, identity } from "@btt/sdk";
import { withNode } from "../client.ts";
import { emit, homeOf, keyringOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import { keyringPassphrase } from "../keyring/passphrase.ts";
import type { Command, OptionSpec, ParsedValues } from "../router.ts";

const YEAR_MS = 365 * 86_400_000;

const EXPIRES: Record<string, OptionSpec> = {
  expires: {
    type: "string",
    value: "<date|ms>",
    description: "when it expires: an ISO date (2030-01-01) or ms since the epoch (default: in a year)",
  },
};

const WAIT: Record<string, OptionSpec> = {
  "no-wait": {
    type: "boolean",
    description: "return once the node accepts the tx, without waiting for its block",
  },
};

/** --expires as ms since the epoch: a wall-clock default is fine here (the chain checks it against block time). */
function expiresOf(values: ParsedValues): bigint {
  const text = values.expires as string | undefined;
  if (text === undefined) return BigInt(Date.now() + YEAR_MS);
  if (/^[0-9]{1,20}$/.test(text)) return BigInt(text);
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new BttError("INVALID_MESSAGE", `--expires "${text}" is neither a date nor milliseconds`, {
      field: "expires",
    });
  }
  return BigInt(ms);
}

function listOf(text: string | undefined): string[] {
  return text === undefined || text === "" ? [] : text.split(",").map((s) => s.trim());
}

/** Signs `messages` with a keyring key, submits, waits (unless --no-wait) and prints the tx's events. */
export async function send(values: ParsedValues, from: string, messages: Msg[], what: string): Promise<void> {
  const keyring = keyringOf(homeOf(values));
  keyring.get(from);
  await withNode(nodeUrlOf(values), async (client) => {
    const passphrase = await keyringPassphrase({ key: from, creating: false });
    const { signer } = await keyring.unlock(from, passphrase);
    const wait = !values["no-wait"];
    const result = await client.signAndSubmit(signer, messages, { wait });
    const events = (result.events ?? []).filter(
      (e) => !e.type.startsWith("bank/") && !e.type.startsWith("auth/"),
    );
    emit(
      values,
      {
        hash: result.hash,
        from: signer.address,
        committed: wait,
        ...(wait ? { height: result.height, code: result.code, code_name: result.code_name, events } : {}),
      },
      [
        wait
          ? `${what}: tx ${result.hash} committed in block ${result.height}`
          : `${what}: submitted tx ${result.hash}`,
        ...events.map(eventLine),
      ],
    );
  });
}

function eventLine(e: EventJson): string {
  return `  ${e.type} ${e.attributes.map((a) => `${a.key}=${a.value}`).join(" ")}`;
}

const issueCommand: Command = {
  name: "issue",
  summary: "issue a credential (the key must be an authorised issuer of its type)",
  details:
    "Types: patient, clinic_licence, practitioner_licence, regulator, kyc (--attrs level=1..3),\n" +
    "accredited_investor, node_operator, valuer, oracle, bridge_operator, insurer, device.\n" +
    "The jurisdiction is an ISO 3166-1 alpha-2 code (DE, CN, US…).",
  args: [
    { name: "from-key", description: "the issuer's key in the keyring" },
    { name: "subject", description: "the btt1… address the credential is about" },
    { name: "type", description: "the credential type" },
    { name: "jurisdiction", description: "ISO 3166-1 alpha-2 code" },
  ],
  options: {
    ...EXPIRES,
    attrs: { type: "string", value: "<k=v,…>", description: "attributes, e.g. level=2,licence_no=DE-42" },
    ...WAIT,
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, subject, type, jurisdiction] = args as [string, string, string, string];
    checkKeyName(from);
    const attributes: Record<string, string> = {};
    for (const pair of listOf(values.attrs as string | undefined)) {
      const at = pair.indexOf("=");
      if (at <= 0)
        throw new BttError("INVALID_MESSAGE", `--attrs "${pair}" is not key=value`, { field: "attrs" });
      attributes[pair.slice(0, at)] = pair.slice(at + 1);
    }
    const message = identity.issueCredential({
      subject,
      type,
      jurisdiction,
      attributes,
      expiresAtMs: expiresOf(values),
    });
    await send(values, from, [message], `Issued ${type} (${jurisdiction}) to ${subject}`);
  },
};

const revokeCredentialCommand: Command = {
  name: "revoke",
  summary: "revoke a credential (its issuer, or a root authority of its type)",
  args: [
    { name: "from-key", description: "the revoking key in the keyring" },
    { name: "id", description: "the credential's id" },
  ],
  options: { reason: { type: "string", value: "<text>", description: "why" }, ...WAIT, ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [from, id] = args as [string, string];
    checkKeyName(from);
    const message = identity.revokeCredential({
      id: idOf(id),
      reason: (values.reason as string | undefined) ?? "",
    });
    await send(values, from, [message], `Revoked credential ${id}`);
  },
};

const grantCommand: Command = {
  name: "grant",
  summary: "as a patient, let a grantee use some of your data for one purpose",
  details:
    "Data classes: imaging, diagnosis, payment, identity, research (comma-separated).\n" +
    "Purposes: treatment, payment, research, insurance.",
  args: [
    { name: "from-key", description: "the patient's key in the keyring" },
    { name: "grantee", description: "the btt1… address allowed" },
    { name: "data-classes", description: "e.g. imaging,diagnosis" },
    { name: "purpose", description: "treatment, payment, research or insurance" },
  ],
  options: {
    ...EXPIRES,
    records: {
      type: "string",
      value: "<id,…>",
      description: "only these record ids (default: every record)",
    },
    ...WAIT,
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [from, grantee, classes, purpose] = args as [string, string, string, string];
    checkKeyName(from);
    const message = consent.grant({
      grantee,
      dataClasses: listOf(classes),
      purpose,
      expiresAtMs: expiresOf(values),
      recordIds: listOf(values.records as string | undefined),
    });
    await send(values, from, [message], `Granted ${grantee} ${classes} for ${purpose}`);
  },
};

const revokeConsentCommand: Command = {
  name: "revoke",
  summary: "as a patient, revoke a consent grant (it stops counting in the same block)",
  args: [
    { name: "from-key", description: "the patient's key in the keyring" },
    { name: "id", description: "the grant's id" },
  ],
  options: { ...WAIT, ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [from, id] = args as [string, string];
    checkKeyName(from);
    await send(values, from, [consent.revoke({ id: idOf(id) })], `Revoked consent ${id}`);
  },
};

function idOf(text: string): bigint {
  if (!/^[1-9][0-9]{0,19}$/.test(text)) {
    throw new BttError("INVALID_MESSAGE", `id "${text}" must be a positive integer`, { field: "id" });
  }
  return BigInt(text);
}

const decideCommand: Command = {
  name: "decide",
  summary: "may a grantee use a patient's data? The chain's access decision, with its reason",
  args: [
    { name: "grantee", description: "the btt1… address asking" },
    { name: "patient", description: "the patient's btt1… address" },
    { name: "data-class", description: "imaging, diagnosis, payment, identity or research" },
    { name: "purpose", description: "treatment, payment, research or insurance" },
  ],
  options: {
    record: { type: "string", value: "<id>", description: "one record" },
    height: { type: "string", value: "<n>", description: "decide on the state of a past height (retained)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [grantee, patient, dataClass, purpose] = args as [string, string, string, string];
    decodeAddress(grantee, "grantee");
    decodeAddress(patient, "patient");
    await withNode(nodeUrlOf(values), async (client) => {
      const params: Record<string, string> = { grantee, patient, data_class: dataClass, purpose };
      if (values.record !== undefined) params.record_id = values.record as string;
      if (values.height !== undefined) params.height = values.height as string;
      const d = (await client.query("consent", "decide", params)) as {
        allowed: boolean;
        rule?: string;
        consent_id?: string;
        reason?: { code: string; rule: string; detail: string };
        height: string;
      };
      emit(
        values,
        d,
        d.allowed
          ? `allowed at height ${d.height}: consent ${d.consent_id ?? "(own data)"}, rule ${d.rule}`
          : `refused at height ${d.height}: ${d.reason!.code} (${d.reason!.rule}): ${d.reason!.detail}`,
      );
    });
  },
};

const credentialsCommand: Command = {
  name: "credentials",
  summary: "an account's credentials, and whether each is valid now",
  args: [{ name: "address", description: "a btt1… address" }],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [address] = args as [string];
    decodeAddress(address);
    await withNode(nodeUrlOf(values), async (client) => {
      const r = (await client.query("identity", "credentials", { subject: address })) as {
        credentials: Array<{
          id: string;
          type: string;
          jurisdiction: string;
          issuer: string;
          expires_at_ms: string;
          valid: boolean;
        }>;
      };
      emit(
        values,
        r,
        r.credentials.length === 0
          ? `${address} holds no credentials`
          : r.credentials.map(
              (c) =>
                `${c.id}  ${c.type} ${c.jurisdiction}  ${c.valid ? "valid" : "not valid"} until ${new Date(Number(c.expires_at_ms)).toISOString()}  issuer ${c.issuer}`,
            ),
      );
    });
  },
};

export const identityTxCommand: Command = {
  name: "identity",
  summary: "identity transactions: credentials",
  subcommands: [issueCommand, revokeCredentialCommand],
};

export const consentTxCommand: Command = {
  name: "consent",
  summary: "consent transactions: grant and revoke",
  subcommands: [grantCommand, revokeConsentCommand],
};

export const identityQueryCommand: Command = {
  name: "identity",
  summary: "identity queries",
  subcommands: [credentialsCommand],
};

export const consentQueryCommand: Command = {
  name: "consent",
  summary: "consent queries",
  subcommands: [decideCommand],
};
