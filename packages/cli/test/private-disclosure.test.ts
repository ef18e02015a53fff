// Selective disclosure and private payments through `btt`, in-process against a real node and API.
// bob (a DE patient) pays carol (a DE clinic) privately; alice is the DE regulator the genesis
// view-key rule names; dave is nobody. bob also commits fields of a record and discloses two.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_COMPLIANCE_PARAMS } from "@btt/modules";
import { BttClient, encryptionKeyFromSeed, privatePayment, TxFailedError } from "@btt/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyringOf } from "../src/context.ts";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

const PASSPHRASE = "private passphrase";
let chain: CliChain;
let a: Record<"alice" | "bob" | "carol", string>;
const DETAILS = { invoice: "INV-7", lines: [{ code: "D2391", amount: "120.00" }], diagnosis: ["K02.1"] };

beforeAll(async () => {
  chain = await startCliChain({
    prefix: "btt-cli-private-",
    passphrase: PASSPHRASE,
    blockIntervalMs: 50,
    editGenesis: (g) => {
      const alice = keyringOf(process.env.BTT_HOME!).get("alice").address;
      const params = g.app_state.compliance?.params ?? DEFAULT_COMPLIANCE_PARAMS;
      g.app_state.compliance = { params: { ...params, view_keys: { DE: { payment: [alice] } } } };
    },
  });
  a = chain.init.accounts as typeof a;
  await json("tx", "identity", "issue", "alice", a.bob, "patient", "DE", "--expires", "2090-01-01");
  await json("tx", "identity", "issue", "alice", a.carol, "clinic_licence", "DE", "--expires", "2090-01-01");
  // The view-key rule names alice; she reads payments only while she holds a regulator credential.
  await json("tx", "identity", "issue", "alice", a.alice, "regulator", "DE", "--expires", "2090-01-01");
  for (const k of ["alice", "bob", "carol"]) await json("tx", "records", "set-key", k);
  await json("keys", "add", "dave");
});

afterAll(() => chain?.close());

describe("btt tx bank private-send / btt query private", () => {
  let hash: string;

  it("pays in the open and encrypts the details for both parties and the regulator", async () => {
    const before = await json("query", "bank", "balance", a.carol);
    const sent = await json(
      "tx",
      "bank",
      "private-send",
      "bob",
      a.carol,
      "2btt",
      "--details",
      JSON.stringify(DETAILS),
    );
    expect(sent.code_name).toBe("OK");
    expect(sent.readers).toEqual([a.alice, a.bob, a.carol].sort());
    expect(sent.view_rules).toEqual(["view_keys.DE.payment"]);
    hash = sent.hash;
    const after = await json("query", "bank", "balance", a.carol);
    expect(BigInt(after.amount) - BigInt(before.amount)).toBe(2_000_000n);
  });

  it("lets bob, carol and alice (the regulator) read the details, and not dave", async () => {
    for (const key of ["bob", "carol", "alice"]) {
      const r = await json("query", "private", hash, "--key", key);
      expect(r.details).toEqual(DETAILS);
      expect(r).toMatchObject({ sender: a.bob, to: a.carol, amount: "2000000ubtt" });
    }
    const dave = await cli("query", "private", hash, "--key", "dave");
    expect(dave.status).toBe(1);
    expect(dave.err).toMatch(/^btt: the payment has no key wrapped for btt1/);
    expect(dave.out).not.toContain("K02.1");
  });

  it("the chain refuses a payment that leaves out the regulator, naming the denial", async () => {
    const home = process.env.BTT_HOME!;
    const { signer, secret } = await keyringOf(home).unlock("bob", PASSPHRASE);
    const client = new BttClient({ url: chain.api.url });
    const r = (await client.query("records", "encryption_key", { address: a.carol })) as {
      public_key: string;
    };
    const { msg } = privatePayment.build({
      from: a.bob,
      to: a.carol,
      amount: { denom: "ubtt", amount: 1n },
      details: DETAILS,
      readers: [
        { address: a.bob, publicKey: encryptionKeyFromSeed(secret.seed).publicKey },
        { address: a.carol, publicKey: Buffer.from(r.public_key, "hex") },
      ],
    });
    const err = await client.signAndSubmit(signer, [msg], { wait: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TxFailedError);
    expect((err as TxFailedError).code).toBe("UNAUTHORIZED");
    expect((err as TxFailedError).message).toMatch(
      /MISSING_VIEW_KEY: .*view_keys\.DE\.payment.*require a view key for btt1/,
    );
  });
});

describe("btt records commit-fields / disclose / verify-disclosure", () => {
  const FIELDS = {
    diagnosis: "K02.1 caries of dentine",
    tooth: "36",
    hiv_status: "negative-7f3a",
    insurer: "AOK-991",
  };
  let id: string;
  let disclosureFile: string;

  it("commits a record's fields: salts kept at home, the root on chain", async () => {
    const file = join(chain.dir, "report.txt");
    writeFileSync(file, "the full report");
    id = (await json("records", "put", "bob", file, "--class", "diagnosis", "--jurisdiction", "DE")).id;
    const fieldsFile = join(chain.dir, "fields.json");
    writeFileSync(fieldsFile, JSON.stringify(FIELDS));
    const c = await json("records", "commit-fields", id, fieldsFile, "--from", "bob");
    expect(c.code_name).toBe("OK");
    expect(c.root).toMatch(/^[0-9a-f]{64}$/);
    expect(c.salts_file).toBe(join(process.env.BTT_HOME!, "disclosures", `${id}.json`));
    const record = await new BttClient({ url: chain.api.url }).query("records", "record", { id });
    expect((record as { record: { disclosure_root: string } }).record.disclosure_root).toBe(c.root);
    // Only the owner commits.
    const carol = await cli("records", "commit-fields", id, fieldsFile, "--from", "carol");
    expect(carol.status).toBe(1);
    expect(carol.err).toMatch(/belongs to/);
  });

  it("discloses two fields and a verifier checks them against the proven root", async () => {
    disclosureFile = join(chain.dir, "disclosure.json");
    await json("records", "disclose", id, "--fields", "tooth,diagnosis", "--out", disclosureFile);
    const text = readFileSync(disclosureFile, "utf8");
    expect(text).not.toContain(FIELDS.hiv_status);
    expect(text).not.toContain(FIELDS.insurer);
    const v = await json("records", "verify-disclosure", disclosureFile);
    expect(v).toMatchObject({ id, verified: true, fields: { diagnosis: FIELDS.diagnosis, tooth: "36" } });
    expect(v.app_hash).toMatch(/^[0-9a-f]{64}$/i);
  });

  it("refuses a tampered disclosure with the reason", async () => {
    const d = JSON.parse(readFileSync(disclosureFile, "utf8"));
    d.disclosed[1].value = "38";
    const bad = join(chain.dir, "tampered.json");
    writeFileSync(bad, JSON.stringify(d));
    const r = await cli("records", "verify-disclosure", bad);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(
      /^btt: disclosure of .* does not verify: the fields and proof do not rebuild the root$/,
    );
  });

  it("POST /v1/disclosures/verify checks a disclosure against the committed root", async () => {
    const verify = async (body: unknown) => {
      const res = await fetch(`${chain.api.url}/v1/disclosures/verify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const disclosure = JSON.parse(readFileSync(disclosureFile, "utf8"));
    const ok = await verify({ disclosure });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      verified: true,
      record_id: id,
      fields: { diagnosis: FIELDS.diagnosis, tooth: "36" },
      leaf_count: 4,
    });
    const tampered = structuredClone(disclosure);
    tampered.disclosed[0].value = "K02.0";
    const bad = await verify({ disclosure: tampered });
    expect(bad.status).toBe(200);
    expect(bad.body).toMatchObject({
      verified: false,
      reason: "the fields and proof do not rebuild the root",
    });
    expect(bad.body.fields).toBeUndefined();
    // Checked against another record's root, it fails; a record that does not exist is a 404;
    // a malformed disclosure is refused naming the field.
    const { id: other } = await json(
      "records",
      "put",
      "bob",
      join(chain.dir, "report.txt"),
      "--class",
      "diagnosis",
      "--jurisdiction",
      "DE",
    );
    expect((await verify({ record_id: other, disclosure })).status).toBe(404);
    expect((await verify({ record_id: "no-such-record", disclosure })).body).toMatchObject({
      code: "NOT_FOUND",
    });
    const malformed = await verify({ disclosure: { ...disclosure, proof: ["zz"] } });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify(malformed.body)).toMatch(/proof/);
  });
});
