// `btt tx identity|consent …` and `btt query identity|consent …` in-process (runCli) against a
// real node and API: a dev chain's first account (alice) is the root authority of every type.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApi, startApi } from "@btt/api";
import { type BttNode, openHomeNode, SoloDriver } from "@btt/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../src/cli.ts";

async function cli(...argv: string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((...a) => void out.push(a.join(" ")));
  const error = vi.spyOn(console, "error").mockImplementation((...a) => void err.push(a.join(" ")));
  try {
    const status = await runCli(argv);
    return { status, out: out.join("\n"), err: err.join("\n") };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

async function json(...argv: string[]) {
  const r = await cli(...argv, "--json");
  if (r.status !== 0) throw new Error(`btt ${argv.join(" ")}: ${r.err}`);
  return JSON.parse(r.out);
}

let dir: string;
let node: BttNode;
let driver: SoloDriver;
let api: RunningApi;
let accounts: Record<string, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "btt-cli-privacy-"));
  process.env.BTT_HOME = join(dir, "home");
  process.env.BTT_KEYRING_PASSPHRASE = "privacy passphrase";
  accounts = (await json("init")).accounts;
  const opened = openHomeNode(process.env.BTT_HOME, { verifyThreads: 0 });
  node = opened.node;
  api = await startApi(node, { port: 0, logger: false, rateLimit: { max: 0, windowMs: 1000 } });
  process.env.BTT_NODE = api.url;
  driver = new SoloDriver(node, {
    blockIntervalMs: 50,
    limits: opened.config.block,
    proposer: opened.config.validator,
  });
  driver.start();
});

afterAll(async () => {
  driver?.stop();
  await api?.close();
  await node?.close();
  for (const k of ["BTT_HOME", "BTT_KEYRING_PASSPHRASE", "BTT_NODE"]) delete process.env[k];
  rmSync(dir, { recursive: true, force: true });
});

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
    expect(creds.credentials[0]).toMatchObject({
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
