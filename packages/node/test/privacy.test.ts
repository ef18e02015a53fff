// Identity, compliance and consent through signed transactions on a real ledger (LMDB).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BttError, ErrorCode, type Msg, type Signer } from "@btt/core";
import { consentMsg, identityMsg, type LedgerEvent } from "@btt/modules";
import { afterAll, describe, expect, it } from "vitest";
import { Application } from "../src/app.ts";
import { validateGenesis } from "../src/genesis.ts";
import { BttNode } from "../src/node.ts";
import { blockTx, signedTx, testChain } from "./helpers.ts";

const DAY = 86_400_000n;
const T = 1_800_000_000_000n; // block times in this test

describe("privacy modules on a ledger", () => {
  const dir = mkdtempSync(join(tmpdir(), "btt-privacy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("issues, grants, decides, records refusals and break-glass, revokes, and answers at past heights", async () => {
    const chain = testChain(6);
    const { validator, accounts } = chain;
    const [authority, patient, clinicDE, doctorCN, stranger] = accounts as [
      Signer,
      Signer,
      Signer,
      Signer,
      Signer,
    ];
    chain.genesis.app_state.identity = {
      params: {
        authorities: {
          patient: [authority.address],
          clinic_licence: [authority.address],
          practitioner_licence: [authority.address],
        },
        max_delegation_depth: 2,
        max_credentials_per_type: 4,
      },
    };
    // Validated, so every module's section is there (defaults for the ones the test leaves out).
    const genesis = validateGenesis(chain.genesis, (id) => new Application(id));
    const node = new BttNode({
      dataDir: join(dir, "a"),
      genesis,
      keepRecent: 4,
      mempool: { maxTxs: 100, maxBytes: 1 << 20, maxTxBytes: 1 << 16 },
      verifyThreads: 0,
    });
    const nonces = new Map<string, bigint>();
    let time = T;
    const block = (...txs: Array<[Signer, Msg[]]>) => {
      time += 1000n;
      const built = txs.map(([s, msgs]) => {
        const n = nonces.get(s.address) ?? 0n;
        nonces.set(s.address, n + 1n);
        return blockTx(signedTx(s, n, msgs, { includeKey: n === 0n && s !== authority }));
      });
      const results = node.ledger.commitBlock(built, time, validator.address).execution.txs;
      // A tx rejected before its fee leaves its nonce unused.
      results.forEach((r, i) => {
        const sender = txs[i]![0].address;
        if (r.code !== ErrorCode.OK && r.fee === 0n) nonces.set(sender, nonces.get(sender)! - 1n);
      });
      return results;
    };
    const events = (tx: { events: LedgerEvent[] }, type: string) =>
      tx.events
        .filter((e) => e.type === type)
        .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
    const query = (module: string, name: string, params: Record<string, string>) =>
      node.query(module, name, params) as Record<string, unknown>;

    block(); // genesis
    const issue = (subject: Signer, type: string, jurisdiction: string) =>
      identityMsg.issueCredential({
        subject: subject.address,
        type,
        jurisdiction,
        expiresAtMs: T + 365n * DAY,
      });
    const issued = block([
      authority,
      [
        issue(patient, "patient", "CN"),
        issue(clinicDE, "clinic_licence", "DE"),
        issue(doctorCN, "practitioner_licence", "CN"),
      ],
    ]);
    expect(issued[0]!.code).toBe(ErrorCode.OK);
    expect(events(issued[0]!, "identity/credential_issued")).toHaveLength(3);
    const issuedHeight = node.height;

    // An issuer without authorisation, and a jurisdiction that is not a country: refused.
    const refused = block(
      [stranger, [issue(stranger, "patient", "CN")]],
      [authority, [issue(stranger, "patient", "EU")]],
    );
    expect(refused.map((t) => t.code)).toEqual([ErrorCode.UNAUTHORIZED, ErrorCode.INVALID_MESSAGE]);
    expect(refused[0]!.log).toMatch(/not authorised to issue patient/);
    expect(refused[1]!.log).toMatch(/ISO 3166-1/);

    // The patient consents to both; the DE clinic may not hold CN imaging (residency), the CN doctor may.
    const grant = (grantee: Signer) =>
      consentMsg.grant({
        grantee: grantee.address,
        dataClasses: ["imaging"],
        purpose: "treatment",
        expiresAtMs: T + 30n * DAY,
      });
    block([patient, [grant(clinicDE), grant(doctorCN)]]);
    const access = (s: Signer, recordId?: string) =>
      [
        s,
        [
          consentMsg.access({
            patient: patient.address,
            dataClass: "imaging",
            purpose: "treatment",
            ...(recordId ? { recordId } : {}),
          }),
        ],
      ] as [Signer, Msg[]];
    const [byClinic, byDoctor, byStranger] = block(access(clinicDE), access(doctorCN), access(stranger));
    expect(byClinic!.code).toBe(ErrorCode.OK);
    expect(events(byClinic!, "consent/access_refused")).toEqual([
      expect.objectContaining({ grantee: clinicDE.address, code: "RESIDENCY", rule: "data_residency.CN.*" }),
    ]);
    expect(events(byDoctor!, "consent/access_granted")).toEqual([
      expect.objectContaining({ grantee: doctorCN.address, consent_id: "2" }),
    ]);
    expect(events(byStranger!, "consent/access_refused")[0]).toMatchObject({ code: "GRANTEE_NOT_LICENSED" });
    expect(
      query("consent", "decide", {
        grantee: doctorCN.address,
        patient: patient.address,
        data_class: "imaging",
        purpose: "treatment",
      }),
    ).toMatchObject({ allowed: true, consent_id: "2" });

    // Break-glass: the licensed doctor is recorded and visible to the patient; the clinic (no practitioner licence) is refused and recorded.
    const glass = (s: Signer) =>
      [
        s,
        [
          consentMsg.emergencyAccess({
            patient: patient.address,
            dataClass: "diagnosis",
            reason: "unconscious in ER",
          }),
        ],
      ] as [Signer, Msg[]];
    const [doctorGlass, clinicGlass] = block(glass(doctorCN), glass(clinicDE));
    expect(events(doctorGlass!, "consent/emergency_access")[0]).toMatchObject({ grantee: doctorCN.address });
    expect(events(clinicGlass!, "consent/access_refused")[0]).toMatchObject({
      purpose: "emergency",
      code: "GRANTEE_NOT_LICENSED",
    });
    expect(query("consent", "emergency", { patient: patient.address })).toMatchObject({
      accesses: [{ practitioner: doctorCN.address, data_class: "diagnosis", reason: "unconscious in ER" }],
    });

    // Revocation counts at once; only the patient may revoke.
    const [notMine, revoked] = block([doctorCN, [consentMsg.revoke(2n)]], [patient, [consentMsg.revoke(2n)]]);
    expect(notMine!.code).toBe(ErrorCode.UNAUTHORIZED);
    expect(revoked!.code).toBe(ErrorCode.OK);
    const [after] = block(access(doctorCN));
    expect(events(after!, "consent/access_refused")[0]).toMatchObject({ code: "NO_CONSENT" });
    expect((query("consent", "consents", { patient: patient.address }).grants as unknown[]).length).toBe(2);

    // Past heights: the doctor's licence, revoked now, was valid at the height it was issued.
    const id = (
      query("identity", "credentials", { subject: doctorCN.address }).credentials as Array<{ id: string }>
    )[0]!.id;
    const [revokeTx] = block([authority, [identityMsg.revokeCredential(BigInt(id), "licence suspended")]]);
    expect(revokeTx!.log).toBe("");
    const asked = { subject: doctorCN.address, type: "practitioner_licence", jurisdiction: "CN" };
    expect(query("identity", "valid", asked)).toMatchObject({ valid: false });
    expect(query("identity", "valid", { ...asked, height: String(node.height - 1) })).toMatchObject({
      valid: true,
    });
    expect(
      query("identity", "valid", { ...asked, height: String(node.height - 1), jurisdiction: "DE" }),
    ).toMatchObject({
      valid: false,
    });
    for (let i = 0; i < 4; i++) block();
    expect(() => query("identity", "valid", { ...asked, height: String(issuedHeight) })).toThrow(BttError);
    expect(() => query("identity", "valid", { ...asked, height: String(issuedHeight) })).toThrow(
      /retained window/,
    );
    expect(() => query("identity", "valid", { ...asked, height: String(node.height + 5) })).toThrow(
      /not committed/,
    );
    expect(() => query("identity", "valid", { ...asked, type: "wizard" })).toThrow(/not a credential type/);
    await node.close();
  });
});
