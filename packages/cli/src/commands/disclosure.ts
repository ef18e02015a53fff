// Selective disclosure from the command line. The owner commits a record's fields once (the salts
// stay in <home>/disclosures/<record-id>.json, mode 0600, and only the root goes on chain), then
// presents any subset; a verifier checks a disclosure against the root read from the chain with
// its Merkle proof (client.state), so it need not trust the node it asks.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BttError } from "@btt/core";
import {
  type BttClient,
  commitFields,
  type Disclosure,
  disclosureProblem,
  type FieldCommitment,
  presentFields,
  records,
} from "@btt/sdk";
import { withNode } from "../client.ts";
import { emit, homeOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import type { Command } from "../router.ts";
import { recordOf, unlockKey } from "./records.ts";

interface StoredCommitment extends FieldCommitment {
  record_id: string;
}

const disclosuresDir = (home: string) => join(home, "disclosures");
const commitmentPath = (home: string, id: string) =>
  join(disclosuresDir(home), `${encodeURIComponent(id)}.json`);

function readJson(file: string, what: string): unknown {
  if (!existsSync(file)) throw new BttError("NOT_FOUND", `no ${what} ${file}`, { file });
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new BttError("INVALID_PARAMS", `${file} is not JSON: ${(err as Error).message}`, { file });
  }
}

/** A flat JSON object of string fields: {"diagnosis": "K02.1", "tooth": "36"}. */
function fieldsOf(raw: unknown, file: string): Record<string, string> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new BttError("INVALID_PARAMS", `${file} must hold a JSON object of fields`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value !== "string")
      throw new BttError("INVALID_PARAMS", `field ${name} in ${file} must be a string`, { field: name });
    out[name] = value;
  }
  return out;
}

/** The record's committed root, read with a Merkle proof against a verified block header. */
export async function provenDisclosureRoot(client: BttClient, id: string) {
  const keyHex = `72${Buffer.from(id, "utf8").toString("hex")}`;
  const state = await client.state("records", keyHex);
  if (!state.value) throw new BttError("NOT_FOUND", `no record ${id} at height ${state.height}`, { id });
  const record = JSON.parse(Buffer.from(state.value).toString("utf8")) as { disclosure_root?: string };
  if (!record.disclosure_root)
    throw new BttError("NOT_FOUND", `record ${id} has no committed disclosure root`, { id });
  return { root: record.disclosure_root, height: state.height, appHash: state.appHash };
}

const commitFieldsCommand: Command = {
  name: "commit-fields",
  summary: "salt a record's fields, keep the salts here and commit their Merkle root on chain",
  details:
    "The fields file is a JSON object of strings. Each field gets 32 random bytes of salt; the\n" +
    "salts and fields are written to <home>/disclosures/<record-id>.json (mode 0600: keep it, it\n" +
    "is what lets you disclose later) and the root is set with records/SetDisclosureRoot.",
  args: [
    { name: "record-id", description: "a record you own" },
    { name: "fields-file", description: "JSON object of the record's fields" },
  ],
  options: {
    from: { type: "string", value: "<key>", description: "the owner's key in the keyring (required)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [id, file] = args as [string, string];
    const from = values.from as string | undefined;
    if (!from) throw new BttError("INVALID_PARAMS", "records commit-fields needs --from <key>");
    checkKeyName(from);
    const committed = commitFields(fieldsOf(readJson(file, "fields file"), file));
    const message = records.setDisclosureRoot(id, committed.root);
    const home = homeOf(values);
    await withNode(nodeUrlOf(values), async (client) => {
      const record = await recordOf(client, id);
      const { signer } = await unlockKey(values, from);
      if (record.owner !== signer.address)
        throw new BttError("UNAUTHORIZED", `record ${id} belongs to ${record.owner}, not ${from}`, { id });
      // Saved before the tx: a root on chain whose salts were lost could never be disclosed.
      mkdirSync(disclosuresDir(home), { recursive: true, mode: 0o700 });
      const path = commitmentPath(home, id);
      const stored: StoredCommitment = { ...committed, record_id: id };
      writeFileSync(`${path}.tmp`, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${path}.tmp`, path);
      const result = await client.signAndSubmit(signer, [message], { wait: true });
      emit(
        values,
        {
          id,
          root: committed.root,
          fields: committed.fields.map((f) => f.name),
          salts_file: path,
          hash: result.hash,
          height: result.height,
          code_name: result.code_name,
        },
        [
          `Committed ${committed.fields.length} fields of ${id}: root ${committed.root}`,
          `  salts kept in ${path}`,
          `  tx ${result.hash} committed in block ${result.height}`,
        ],
      );
    });
  },
};

const discloseCommand: Command = {
  name: "disclose",
  summary: "present chosen fields of a record you committed, with the proof a verifier checks",
  details:
    "Reads <home>/disclosures/<record-id>.json (written by commit-fields) and prints, or writes\n" +
    "to --out, a disclosure: the chosen fields with their salts and the sibling hashes that\n" +
    "rebuild the root. The other fields' values and salts are not in it.",
  args: [{ name: "record-id", description: "the record" }],
  options: {
    fields: { type: "string", value: "<a,b,…>", description: "field names to show (required)" },
    out: { type: "string", value: "<file>", description: "write the disclosure here instead of stdout" },
  },
  run: async ({ args, values }) => {
    const [id] = args as [string];
    const names = ((values.fields as string | undefined) ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (names.length === 0) throw new BttError("INVALID_PARAMS", "records disclose needs --fields <a,b,…>");
    const path = commitmentPath(homeOf(values), id);
    const stored = readJson(
      path,
      "committed fields for this record (run btt records commit-fields first):",
    ) as StoredCommitment;
    const disclosure: Disclosure = { ...presentFields(stored, names), record_id: id };
    const out = values.out as string | undefined;
    if (out) {
      writeFileSync(out, `${JSON.stringify(disclosure, null, 2)}\n`);
      emit(values, { id, out, fields: names, proof_hashes: disclosure.proof.length }, [
        `Wrote a disclosure of ${names.join(", ")} from ${id} to ${out} (${disclosure.proof.length} proof hashes)`,
      ]);
    } else console.log(JSON.stringify(disclosure, null, values.json ? undefined : 2));
  },
};

const verifyDisclosureCommand: Command = {
  name: "verify-disclosure",
  summary: "check a disclosure against its record's root on chain (read with a Merkle proof)",
  details:
    "The record's root is read through GET /v1/state with its proof, checked against the app hash\n" +
    "of a block whose header the SDK recomputes. Exit status 1 and the reason when it fails.",
  args: [{ name: "file", description: "a disclosure (btt records disclose --out)" }],
  options: {
    record: { type: "string", value: "<id>", description: "the record (default: the file's record_id)" },
    ...NODE_OPTION,
  },
  run: async ({ args, values }) => {
    const [file] = args as [string];
    const disclosure = readJson(file, "disclosure") as Disclosure;
    const id = (values.record as string | undefined) ?? disclosure.record_id;
    if (!id) throw new BttError("INVALID_PARAMS", "the disclosure names no record: pass --record <id>");
    await withNode(nodeUrlOf(values), async (client) => {
      const chain = await provenDisclosureRoot(client, id);
      const problem = disclosureProblem(disclosure, chain.root);
      if (problem)
        throw new BttError("INVALID_MESSAGE", `disclosure of ${id} does not verify: ${problem}`, { id });
      const fields = Object.fromEntries(disclosure.disclosed.map((f) => [f.name, f.value]));
      emit(
        values,
        { id, verified: true, root: chain.root, height: chain.height, app_hash: chain.appHash, fields },
        [
          `Verified ${Object.keys(fields).length} of ${disclosure.leaf_count} fields of ${id} against root ${chain.root}`,
          `  (block ${chain.height}, app hash ${chain.appHash}, proof checked)`,
          ...Object.entries(fields).map(([k, v]) => `  ${k} = ${v}`),
        ],
      );
    });
  },
};

export const disclosureCommands: Command[] = [commitFieldsCommand, discloseCommand, verifyDisclosureCommand];
