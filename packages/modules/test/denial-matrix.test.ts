// The access decision over a generated table of grantee × patient × data class × purpose ×
// record × time, against an oracle that reads the test's own model of what was issued, granted
// and revoked (never the chain's state), and encodes the rules in its own way.
import {
  MsgGrantConsentSchema,
  MsgIssueCredentialSchema,
  MsgRevokeConsentSchema,
  MsgRevokeCredentialSchema,
} from "@btt/core";
import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { DATA_CLASSES } from "../src/compliance/index.ts";
import { PURPOSES } from "../src/consent/index.ts";
import { address, privacyChain } from "./privacy-harness.ts";

const ROOT = address(1);
const T0 = 1_000_000n;
const SHORT_CREDENTIAL = T0 + 3_000n;
const LONG = T0 + 1_000_000n;
const GRANT_EXPIRY = [T0 + 1_000n, T0 + 5_000n];
// Before issue, fresh, at and after the short grants' expiry, at and after the short credentials', after all grants.
const TIMES = [T0 - 1n, T0 + 500n, T0 + 1_000n, T0 + 2_000n, SHORT_CREDENTIAL, T0 + 4_000n, T0 + 6_000n];
const RECORDS = [undefined, "r1", "r2"];

interface ModelCredential {
  type: string;
  jurisdiction: string;
  expires: bigint;
  revoked: boolean;
}
interface ModelGrant {
  id: bigint;
  classes: string[];
  purpose: string;
  expires: bigint;
  records: string[];
  revoked: boolean;
}

// Who is who: [name, account, credentials].
const PEOPLE: Array<[string, number, Array<Omit<ModelCredential, "revoked"> & { revoke?: boolean }>]> = [
  ["patient DE", 10, [{ type: "patient", jurisdiction: "DE", expires: LONG }]],
  ["patient CN", 11, [{ type: "patient", jurisdiction: "CN", expires: LONG }]],
  ["patient US, short credential", 12, [{ type: "patient", jurisdiction: "US", expires: SHORT_CREDENTIAL }]],
  ["patient BR, revoked", 13, [{ type: "patient", jurisdiction: "BR", expires: LONG, revoke: true }]],
  ["patient without credential", 14, []],
  ["clinic DE", 20, [{ type: "clinic_licence", jurisdiction: "DE", expires: LONG }]],
  ["practitioner CN", 21, [{ type: "practitioner_licence", jurisdiction: "CN", expires: LONG }]],
  ["insurer US", 22, [{ type: "insurer", jurisdiction: "US", expires: LONG }]],
  [
    "practitioner FR, short licence",
    23,
    [{ type: "practitioner_licence", jurisdiction: "FR", expires: SHORT_CREDENTIAL }],
  ],
  [
    "practitioner JP, revoked",
    24,
    [{ type: "practitioner_licence", jurisdiction: "JP", expires: LONG, revoke: true }],
  ],
  [
    "clinic in CN and DE",
    25,
    [
      { type: "clinic_licence", jurisdiction: "DE", expires: LONG },
      { type: "clinic_licence", jurisdiction: "CN", expires: LONG },
    ],
  ],
  ["unlicensed account", 26, []],
];
const PATIENTS = [10, 11, 12, 13, 14].map(address);
const GRANTEES = [20, 21, 22, 23, 24, 25, 26, 10].map(address); // the last: a patient reading their own data

// The purposes each credential type may serve (the specification, written out here).
const SERVES: Record<string, string[]> = {
  clinic_licence: ["payment", "research", "treatment"],
  practitioner_licence: ["treatment"],
  insurer: ["insurance", "payment"],
};
const EEA = "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK".split(
  " ",
);
const ADEQUACY = "AD AR CA CH FO GB GG IL IM JE JP KR NZ US UY".split(" ");
function residencyAllows(origin: string, destination: string): boolean {
  if (origin === "CN") return destination === "CN";
  if (EEA.includes(origin) || origin === "US") {
    return EEA.includes(destination) || ADEQUACY.includes(destination) || destination === origin;
  }
  return destination === origin;
}

// A small deterministic generator for the grants table.
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe("consent: the denial matrix", () => {
  it("every access decision equals the oracle's", () => {
    const c = privacyChain({
      params: {
        authorities: Object.fromEntries(
          ["patient", "clinic_licence", "practitioner_licence", "insurer"].map((t) => [t, [ROOT]]),
        ),
        max_delegation_depth: 2,
        max_credentials_per_type: 4,
      },
    });
    const credentials = new Map<string, ModelCredential[]>();
    const toRevoke: bigint[] = [];
    c.setTime(T0);
    for (const [, n, creds] of PEOPLE) {
      const who = address(n);
      credentials.set(who, []);
      for (const cr of creds) {
        const issue = create(MsgIssueCredentialSchema, {
          subject: who,
          type: cr.type,
          jurisdiction: cr.jurisdiction,
          expiresAtMs: cr.expires,
        });
        c.run("identity/IssueCredential", ROOT, issue);
        const id = c.identity.keeper.nextId(c.kv) - 1n;
        credentials.get(who)!.push({ ...cr, revoked: cr.revoke === true });
        if (cr.revoke) toRevoke.push(id);
      }
    }

    // Grants: for every patient × grantee pair, 0 to 3 generated grants.
    c.setTime(T0 + 1n);
    const rand = lcg(20261122);
    const grants = new Map<string, ModelGrant[]>();
    const grantsToRevoke: bigint[] = [];
    for (const patient of PATIENTS) {
      for (const grantee of GRANTEES) {
        if (grantee === patient) continue;
        const list: ModelGrant[] = [];
        for (let i = rand(4); i > 0; i--) {
          const classes = DATA_CLASSES.filter(() => rand(2) === 0);
          if (classes.length === 0) classes.push(DATA_CLASSES[rand(5)]!);
          const g: ModelGrant = {
            id: c.consent.keeper.nextId(c.kv),
            classes,
            purpose: PURPOSES[rand(4)]!,
            expires: GRANT_EXPIRY[rand(2)]!,
            records: rand(3) === 0 ? ["r1"] : [],
            revoked: rand(5) === 0,
          };
          const message = create(MsgGrantConsentSchema, {
            grantee,
            dataClasses: g.classes,
            purpose: g.purpose,
            expiresAtMs: g.expires,
            recordIds: g.records,
          });
          if (patient === address(14)) {
            // No patient credential: the grant itself is refused.
            expect(() => c.run("consent/Grant", patient, message)).toThrow(/no valid patient credential/);
            continue;
          }
          c.run("consent/Grant", patient, message);
          list.push(g);
          if (g.revoked) grantsToRevoke.push(g.id);
        }
        grants.set(`${patient}/${grantee}`, list);
      }
    }
    c.setTime(T0 + 2n);
    for (const id of grantsToRevoke) {
      const g = c.consent.keeper.grant(c.kv, id)!;
      c.run("consent/Revoke", g.patient, create(MsgRevokeConsentSchema, { id }));
    }
    for (const id of toRevoke)
      c.run("identity/RevokeCredential", ROOT, create(MsgRevokeCredentialSchema, { id }));

    const validAt = (who: string, t: bigint, type?: string) =>
      (credentials.get(who) ?? []).filter(
        (cr) => (type === undefined || cr.type === type) && !cr.revoked && T0 <= t && t < cr.expires,
      );

    const oracle = (
      grantee: string,
      patient: string,
      cls: string,
      purpose: string,
      record: string | undefined,
      t: bigint,
    ) => {
      const patientCred = validAt(patient, t, "patient")[0];
      if (!patientCred) return { code: "PATIENT_NOT_VERIFIED" };
      if (grantee === patient) return { allowed: true };
      const places = [
        ...new Set(
          validAt(grantee, t)
            .filter((cr) => SERVES[cr.type]?.includes(purpose))
            .map((cr) => cr.jurisdiction),
        ),
      ].sort();
      if (places.length === 0) return { code: "GRANTEE_NOT_LICENSED" };
      const live = (grants.get(`${patient}/${grantee}`) ?? []).filter((g) => !g.revoked);
      if (live.length === 0) return { code: "NO_CONSENT" };
      const forPurpose = live.filter((g) => g.purpose === purpose);
      const forClass = forPurpose.filter((g) => g.classes.includes(cls));
      const forRecord = forClass.filter(
        (g) => g.records.length === 0 || (record !== undefined && g.records.includes(record)),
      );
      const current = forRecord.filter((g) => g.expires > t);
      if (current.length === 0) {
        const code =
          forPurpose.length === 0
            ? "CONSENT_PURPOSE"
            : forClass.length === 0
              ? "CONSENT_DATA_CLASS"
              : forRecord.length === 0
                ? "CONSENT_RECORD"
                : "CONSENT_EXPIRED";
        return { code };
      }
      if (!places.some((p) => residencyAllows(patientCred.jurisdiction, p))) return { code: "RESIDENCY" };
      return { allowed: true, consentId: current[0]!.id };
    };

    const seen = new Map<string, number>();
    let rows = 0;
    for (const grantee of GRANTEES) {
      for (const patient of PATIENTS) {
        for (const cls of DATA_CLASSES) {
          for (const purpose of PURPOSES) {
            for (const record of RECORDS) {
              for (const t of TIMES) {
                const d = c.consent.keeper.accessDecision(c.kv, {
                  grantee,
                  patient,
                  dataClass: cls,
                  purpose,
                  ...(record === undefined ? {} : { recordId: record }),
                  atMs: t,
                });
                const actual = d.allowed
                  ? { allowed: true, ...(d.consentId === undefined ? {} : { consentId: d.consentId }) }
                  : { code: d.reason.code };
                const expected = oracle(grantee, patient, cls, purpose, record, t);
                if (JSON.stringify(actual, big) !== JSON.stringify(expected, big)) {
                  expect(actual, JSON.stringify({ grantee, patient, cls, purpose, record, t }, big)).toEqual(
                    expected,
                  );
                }
                const key = "code" in expected ? expected.code! : "ALLOWED";
                seen.set(key, (seen.get(key) ?? 0) + 1);
                rows++;
              }
            }
          }
        }
      }
    }
    expect(rows).toBe(GRANTEES.length * PATIENTS.length * 5 * 4 * 3 * TIMES.length);
    // The table reaches every outcome, so no branch of the decision goes untested.
    expect([...seen.keys()].sort()).toEqual(
      [
        "ALLOWED",
        "CONSENT_DATA_CLASS",
        "CONSENT_EXPIRED",
        "CONSENT_PURPOSE",
        "CONSENT_RECORD",
        "GRANTEE_NOT_LICENSED",
        "NO_CONSENT",
        "PATIENT_NOT_VERIFIED",
        "RESIDENCY",
      ].sort(),
    );
  });
});

const big = (_: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

describe("consent: genesis", () => {
  it("exports and re-imports grants (revoked ones stay revoked), and refuses malformed ones", () => {
    const c = privacyChain({
      params: { authorities: { patient: [ROOT] }, max_delegation_depth: 1, max_credentials_per_type: 2 },
    });
    const patient = address(30);
    c.run(
      "identity/IssueCredential",
      ROOT,
      create(MsgIssueCredentialSchema, {
        subject: patient,
        type: "patient",
        jurisdiction: "DE",
        expiresAtMs: LONG,
      }),
    );
    const grant = (grantee: number) =>
      create(MsgGrantConsentSchema, {
        grantee: address(grantee),
        dataClasses: ["imaging"],
        purpose: "treatment",
        expiresAtMs: LONG,
      });
    c.run("consent/Grant", patient, grant(31));
    c.run("consent/Grant", patient, grant(32));
    c.run("consent/Revoke", patient, create(MsgRevokeConsentSchema, { id: 1n }));
    const exported = c.consent.genesis.exportGenesis(c.ctx(ROOT));
    expect(exported.grants).toHaveLength(2);
    const again = privacyChain();
    again.consent.genesis.initGenesis(
      again.ctx(ROOT),
      again.consent.genesis.validateGenesis(JSON.parse(JSON.stringify(exported))),
    );
    expect(again.consent.keeper.activeGrants(again.kv, patient, address(31))).toEqual([]);
    expect(again.consent.keeper.activeGrants(again.kv, patient, address(32)).map((g) => g.id)).toEqual([2n]);
    expect(again.consent.keeper.nextId(again.kv)).toBe(3n);
    const bad = (g: Record<string, unknown>) => () =>
      again.consent.genesis.validateGenesis({ grants: [{ ...(exported.grants[1] as object), ...g }] });
    expect(bad({ purpose: "fun" })).toThrow(/consent\.grants\[0\]\.purpose/);
    expect(bad({ data_classes: ["imaging", "diagnosis"] })).toThrow(/sorted/);
    expect(bad({ patient: "btt1nope" })).toThrow(/not an address/);
  });
});
