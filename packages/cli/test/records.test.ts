// `btt tx records set-key`, `btt records put|get`, `btt query records list` in-process against a
// real node and API: bob (a DE patient) stores an encrypted file for himself and carol (a clinic);
// carol reads it once bob consents; alice, with no consent, is refused and gets no file.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadOrCreateGatewayKey } from "@btt/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

const PASSPHRASE = "records passphrase";
let chain: CliChain;
let a: Record<"alice" | "bob" | "carol", string>;
let file: string;
let plaintext: Buffer;

beforeAll(async () => {
  chain = await startCliChain({ prefix: "btt-cli-records-", passphrase: PASSPHRASE, blockIntervalMs: 50 });
  a = chain.init.accounts as typeof a;
  // The gateway signs an audit tx per access, so its (lazily created) key needs funds.
  const gateway = loadOrCreateGatewayKey(join(chain.node.opts.dataDir, "gateway_key.json"));
  await json("tx", "bank", "send", "alice", gateway.address, "100btt");
  await json("tx", "identity", "issue", "alice", a.bob, "patient", "DE", "--expires", "2090-01-01");
  await json("tx", "identity", "issue", "alice", a.carol, "clinic_licence", "FR", "--expires", "2090-01-01");
  plaintext = randomBytes(3000);
  file = join(chain.dir, "scan.bin");
  writeFileSync(file, plaintext);
});

afterAll(() => chain?.close());

describe("btt records", () => {
  let id: string;

  it("publishes keys, stores a file encrypted for owner and recipient, and lists it", async () => {
    const bobKey = await json("tx", "records", "set-key", "bob");
    expect(bobKey).toMatchObject({ code_name: "OK", address: a.bob });
    expect(bobKey.public_key).toMatch(/^[0-9a-f]{64}$/);
    await json("tx", "records", "set-key", "carol");

    const put = await json(
      "records",
      "put",
      "bob",
      file,
      "--class",
      "imaging",
      "--jurisdiction",
      "DE",
      "--to",
      a.carol,
    );
    expect(put.id).toMatch(/^rec-[0-9a-f]{16}$/);
    expect(put.blob_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(put.code_name).toBe("OK");
    expect([...put.recipients].sort()).toEqual([a.bob, a.carol].sort());
    id = put.id;

    const list = await json("query", "records", "list", a.bob);
    expect(list.records).toHaveLength(1);
    expect(list.records[0]).toMatchObject({ id, owner: a.bob, data_class: "imaging", jurisdiction: "DE" });
    const human = await cli("query", "records", "list", a.bob);
    expect(human.out).toContain(`${id}  imaging DE  blob ${put.blob_sha256}`);
    expect((await cli("query", "records", "list", a.alice)).out).toBe(`${a.alice} owns no records`);
  });

  it("gives the owner back the same bytes", async () => {
    const out = join(chain.dir, "owner.bin");
    const got = await json("records", "get", "bob", id, "--out", out);
    expect(got).toMatchObject({ id, bytes: plaintext.length, purpose: "treatment" });
    expect(got.audit_tx).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.compare(readFileSync(out), plaintext)).toBe(0);
  });

  it("refuses the recipient until the owner consents, then serves it", async () => {
    const out = join(chain.dir, "carol.bin");
    const refused = await cli("records", "get", "carol", id, "--out", out);
    expect(refused.status).toBe(1);
    expect(refused.err).toMatch(/^btt: access to rec-[0-9a-f]+ refused: .*NO_CONSENT/);
    expect(existsSync(out)).toBe(false);

    await json("tx", "consent", "grant", "bob", a.carol, "imaging", "treatment");
    const human = await cli("records", "get", "carol", id, "--out", out);
    expect(human.status).toBe(0);
    expect(human.out).toContain(`Wrote ${plaintext.length} bytes of ${id} to ${out}`);
    expect(Buffer.compare(readFileSync(out), plaintext)).toBe(0);
  });

  it("shares a record's key with one more account, and takes it back", async () => {
    const own = await json("records", "put", "bob", file, "--class", "imaging", "--jurisdiction", "DE");
    const out = join(chain.dir, "shared.bin");
    // carol's consent lets the gateway serve her, but no key is wrapped for her yet.
    const before = await cli("records", "get", "carol", own.id, "--out", out);
    expect(before.status).toBe(1);
    expect(before.err).toMatch(/no key wrapped for/);
    const notOwner = await cli("records", "share", "carol", own.id, a.alice);
    expect(notOwner.status).toBe(1);
    expect(notOwner.err).toMatch(/belongs to/);
    expect(await json("records", "share", "bob", own.id, a.carol)).toMatchObject({ recipient: a.carol });
    await json("records", "get", "carol", own.id, "--out", out);
    expect(Buffer.compare(readFileSync(out), plaintext)).toBe(0);
    expect(await json("records", "unshare", "bob", own.id, a.carol)).toMatchObject({ removed: a.carol });
    const after = await cli("records", "get", "carol", own.id, "--out", join(chain.dir, "after.bin"));
    expect(after.status).toBe(1);
    expect(after.err).toMatch(/no key wrapped for/);
  });

  it("refuses a stranger with the gateway's reason and writes nothing", async () => {
    const out = join(chain.dir, "stranger.bin");
    const r = await cli("records", "get", "alice", id, "--out", out, "--purpose", "research");
    expect(r.status).toBe(1);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(r.err).toBe(
      `btt: access to ${id} refused: ${a.alice} holds no valid clinic_licence credential for research (GRANTEE_NOT_LICENSED)`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("puts nothing on chain the residency rules refuse", async () => {
    const held = (await json("query", "records", "list", a.bob)).records.length;
    const r = await cli(
      "records",
      "put",
      "bob",
      file,
      "--class",
      "imaging",
      "--jurisdiction",
      "CN",
      "--id",
      "cn-1",
    );
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^btt: .*imaging data of DE may not be stored in CN/);
    expect((await json("query", "records", "list", a.bob)).records).toHaveLength(held);
  });

  it("fails in one line on bad input", async () => {
    const out = join(chain.dir, "x.bin");
    const one = async (argv: string[], reason: RegExp, status = 1) => {
      const r = await cli(...argv);
      expect(r.status).toBe(status);
      expect(r.err.split("\n")).toHaveLength(1);
      expect(r.err).toMatch(reason);
    };
    await one(["records", "get", "bob", "no-such-record", "--out", out], /^btt: no record no-such-record$/);
    await one(
      ["records", "put", "bob", join(chain.dir, "missing.bin"), "--class", "imaging", "--jurisdiction", "DE"],
      /^btt: no file .*missing\.bin$/,
    );
    await one(["records", "put", "bob", file, "--jurisdiction", "DE"], /needs --class/);
    await one(
      ["records", "put", "bob", file, "--class", "imaging", "--jurisdiction", "DE", "--to", "btt1nope"],
      /--to/,
    );
    await one(
      ["records", "put", "bob", file, "--class", "imaging", "--jurisdiction", "DE", "--to", a.alice],
      /has published no encryption key/,
    );
    await one(
      ["records", "put", "bob", file, "--class", "x-ray", "--jurisdiction", "DE"],
      /dataClass|data class/i,
    );
    await one(["records", "get", "bob", id, "--out", out, "--purpose", "fun"], /--purpose "fun"/);
    await one(["records", "get", "bob", id], /needs --out/);
    await one(["records", "get", "bob"], /needs <record-id>/, 2);
    await one(["query", "records", "list", "btt1nope"], /owner/);
    process.env.BTT_KEYRING_PASSPHRASE = "not the passphrase";
    try {
      await one(["records", "get", "bob", id, "--out", out], /passphrase/i);
      await one(["tx", "records", "set-key", "bob"], /passphrase/i);
    } finally {
      process.env.BTT_KEYRING_PASSPHRASE = PASSPHRASE;
    }
    expect(existsSync(out)).toBe(false);
  });

  it("prints help for each command", async () => {
    for (const argv of [
      ["records", "put"],
      ["records", "get"],
      ["tx", "records", "set-key"],
      ["query", "records", "list"],
    ]) {
      const r = await cli(...argv, "--help");
      expect(r.status).toBe(0);
      expect(r.out).toContain(`btt ${argv.join(" ")}`);
    }
    expect((await cli("records", "put", "--help")).out).toContain("--jurisdiction <CC>");
  });
});
