// `btt tx identity|consent …` and `btt query identity|consent …` in-process (runCli) against a
// real node and API: a dev chain's first account (alice) is the root authority of every type.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliChain, cli, json, startCliChain } from "./in-process.ts";

let chain: CliChain;
let accounts: Record<string, string>;

beforeAll(async () => {
  chain = await startCliChain({
    prefix: "btt-cli-privacy-",
    passphrase: "privacy passphrase",
    blockIntervalMs: 50,
  });
  accounts = chain.init.accounts;
});

afterAll(() => chain?.close());

describe("btt tx identity / consent, btt query consent decide", () => {
  it("issues credentials, grants and revokes consent, and prints the decision with its reason", async () => {
    const { bob, carol } = accounts as Record<"bob" | "carol", string>;
    const issued = await json(
      "tx",
      "identity",
      "issue",
      "alice",
      bob,
      "patient",
      "CN",
      "--expires",
      "2090-01-01",
    );
    expect(issued).toMatchObject({ code_name: "OK" });
    expect(issued.events[0]).toMatchObject({ type: "identity/credential_issued" });
    await json(
      "tx",
      "identity",
      "issue",
      "alice",
      carol,
      "practitioner_licence",
      "CN",
      "--attrs",
      "licence_no=CN-7",
    );
    const creds = await json("query", "identity", "credentials", carol);
    // The dev genesis made carol a node operator; the licence is the one issued here.
    const licence = creds.credentials.find((c: { type: string }) => c.type === "practitioner_licence");
    expect(licence).toMatchObject({
      type: "practitioner_licence",
      attributes: { licence_no: "CN-7" },
      valid: true,
    });
    expect((await cli("query", "identity", "credentials", carol)).out).toMatch(
      /practitioner_licence CN {2}valid/,
    );

    const refused = await cli("query", "consent", "decide", carol, bob, "imaging", "treatment");
    expect(refused.out).toMatch(/^refused at height \d+: NO_CONSENT/);
    const granted = await json("tx", "consent", "grant", "bob", carol, "imaging,diagnosis", "treatment");
    expect(granted.events[0]).toMatchObject({ type: "consent/granted" });
    const id = granted.events[0].attributes.find((a: { key: string }) => a.key === "id").value;
    expect(await json("query", "consent", "decide", carol, bob, "imaging", "treatment")).toMatchObject({
      allowed: true,
      consent_id: id,
      rule: "data_residency.CN.*",
    });
    await json("tx", "consent", "revoke", "bob", id);
    expect((await cli("query", "consent", "decide", carol, bob, "imaging", "treatment")).out).toMatch(
      /NO_CONSENT/,
    );
  });

  it("refuses bad input with one clear line and status 1", async () => {
    const { bob, carol } = accounts as Record<"bob" | "carol", string>;
    const cases: Array<[string[], RegExp]> = [
      [["tx", "identity", "issue", "alice", bob, "patient", "EU"], /ISO 3166-1/],
      [["tx", "identity", "issue", "alice", bob, "wizard", "DE"], /not a credential type/],
      [["tx", "identity", "issue", "alice", bob, "kyc", "DE", "--attrs", "level=7"], /level/],
      [["tx", "identity", "issue", "alice", bob, "patient", "DE", "--expires", "soon"], /--expires/],
      [["tx", "identity", "issue", "carol", bob, "patient", "DE"], /not authorised to issue patient/],
      [["tx", "consent", "grant", "carol", bob, "imaging", "treatment"], /no valid patient credential/],
      [["tx", "consent", "grant", "bob", carol, "genome", "treatment"], /data class/],
      [["tx", "consent", "revoke", "bob", "x1"], /positive integer/],
      [["query", "consent", "decide", carol, bob, "imaging", "fun"], /purpose/],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.status, argv.join(" ")).toBe(1);
      expect(r.err, argv.join(" ")).toMatch(message);
    }
  });
});
