import {
  BttError,
  MsgGrantIssuerSchema,
  MsgIssueCredentialSchema,
  MsgRevokeCredentialSchema,
} from "@btt/core";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createIdentityModule } from "../src/identity/index.ts";
import { address, privacyChain } from "./privacy-harness.ts";

const ROOT = address(1);
const DAY = 86_400_000n;

function chain(maxDepth = 4) {
  return privacyChain({
    params: {
      authorities: { practitioner_licence: [ROOT], patient: [ROOT], kyc: [ROOT] },
      max_delegation_depth: maxDepth,
      max_credentials_per_type: 3,
    },
  });
}

const issue = (subject: string, type = "practitioner_licence", more: Record<string, unknown> = {}) =>
  create(MsgIssueCredentialSchema, { subject, type, jurisdiction: "DE", expiresAtMs: 10n * DAY, ...more });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof BttError) return err.code;
    throw err;
  }
  return "OK";
}

describe("identity: credentials", () => {
  it("a root issues; validity follows issue time, expiry, revocation, jurisdiction and KYC level", () => {
    const c = chain();
    const k = c.identity.keeper;
    const doc = address(10);
    c.run("identity/IssueCredential", ROOT, issue(doc));
    const issuedAt = c.timeMs;
    expect(k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: issuedAt })).toBe(true);
    expect(k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: issuedAt - 1n })).toBe(false);
    expect(k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: 10n * DAY })).toBe(false);
    expect(
      k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: issuedAt, jurisdiction: "DE" }),
    ).toBe(true);
    expect(
      k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: issuedAt, jurisdiction: "FR" }),
    ).toBe(false);
    expect(k.hasValidCredential(c.kv, doc, "patient", { atMs: issuedAt })).toBe(false);

    c.run(
      "identity/IssueCredential",
      ROOT,
      issue(doc, "kyc", { attributes: [{ key: "level", value: "2" }] }),
    );
    expect(k.hasValidCredential(c.kv, doc, "kyc", { atMs: c.timeMs, minKycLevel: 2 })).toBe(true);
    expect(k.hasValidCredential(c.kv, doc, "kyc", { atMs: c.timeMs, minKycLevel: 3 })).toBe(false);

    const id = k.credentialsOf(c.kv, doc)[0]!.id;
    expect(
      code(() => c.run("identity/RevokeCredential", address(11), create(MsgRevokeCredentialSchema, { id }))),
    ).toBe("UNAUTHORIZED");
    c.setTime(c.timeMs + 5n);
    c.run("identity/RevokeCredential", ROOT, create(MsgRevokeCredentialSchema, { id, reason: "struck off" }));
    expect(k.hasValidCredential(c.kv, doc, "practitioner_licence", { atMs: c.timeMs })).toBe(false);
    expect(k.credential(c.kv, id)!.revoked).toMatchObject({ by: ROOT, reason: "struck off" });
    expect(
      code(() => c.run("identity/RevokeCredential", ROOT, create(MsgRevokeCredentialSchema, { id }))),
    ).toBe("CONFLICT");
    expect(
      code(() => c.run("identity/RevokeCredential", ROOT, create(MsgRevokeCredentialSchema, { id: 99n }))),
    ).toBe("NOT_FOUND");
    expect(c.events.map((e) => e.type)).toEqual([
      "identity/credential_issued",
      "identity/credential_issued",
      "identity/credential_revoked",
    ]);
  });

  it("refuses every bad input with a clear BttError", () => {
    const c = chain();
    const bad: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ["jurisdiction not ISO", { jurisdiction: "XX" }, "INVALID_MESSAGE", /ISO 3166-1/],
      ["EU is not a country", { jurisdiction: "EU" }, "INVALID_MESSAGE", /ISO 3166-1/],
      ["lower case", { jurisdiction: "de" }, "INVALID_MESSAGE", /ISO 3166-1/],
      ["unknown type", { type: "wizard" }, "INVALID_MESSAGE", /not a credential type/],
      [
        "unsorted attributes",
        {
          attributes: [
            { key: "b", value: "1" },
            { key: "a", value: "2" },
          ],
        },
        "INVALID_MESSAGE",
        /sorted/,
      ],
      [
        "repeated attribute",
        {
          attributes: [
            { key: "a", value: "1" },
            { key: "a", value: "2" },
          ],
        },
        "INVALID_MESSAGE",
        /sorted/,
      ],
      ["bad attribute key", { attributes: [{ key: "Bad Key", value: "1" }] }, "INVALID_MESSAGE", /key/],
      ["kyc without level", { type: "kyc" }, "INVALID_MESSAGE", /level/],
      [
        "kyc level 4",
        { type: "kyc", attributes: [{ key: "level", value: "4" }] },
        "INVALID_MESSAGE",
        /level/,
      ],
      ["no expiry", { expiresAtMs: 0n }, "INVALID_MESSAGE", /expires_at_ms/],
      ["expired already", { expiresAtMs: 5n }, "INVALID_MESSAGE", /not after the block time/],
      ["bad subject", { subject: "btt1nope" }, "INVALID_ADDRESS", /subject/],
    ];
    for (const [what, fields, expected, message] of bad) {
      let error: unknown;
      try {
        c.run("identity/IssueCredential", ROOT, issue(address(10), "practitioner_licence", fields));
      } catch (err) {
        error = err;
      }
      expect(error, what).toBeInstanceOf(BttError);
      expect((error as BttError).code, what).toBe(expected);
      expect((error as BttError).message, what).toMatch(message);
    }
    // An issuer without authorisation, for that type or at all.
    expect(code(() => c.run("identity/IssueCredential", address(2), issue(address(10))))).toBe(
      "UNAUTHORIZED",
    );
    expect(code(() => c.run("identity/IssueCredential", ROOT, issue(address(10), "insurer")))).toBe(
      "UNAUTHORIZED",
    );
    // The per-type limit on listed credentials.
    for (let i = 0; i < 3; i++) c.run("identity/IssueCredential", ROOT, issue(address(10)));
    expect(code(() => c.run("identity/IssueCredential", ROOT, issue(address(10))))).toBe("CONFLICT");
    expect(
      code(() =>
        c.run("identity/GrantIssuer", ROOT, create(MsgGrantIssuerSchema, { grantee: ROOT, type: "patient" })),
      ),
    ).toBe("INVALID_MESSAGE");
  });

  it("delegation: a revoked link withdraws everything below it, credentials already issued stay valid", () => {
    const c = chain();
    const k = c.identity.keeper;
    const [b, d, e] = [address(2), address(3), address(4)];
    const grant = (from: string, to: string, delegable: boolean) =>
      c.run(
        "identity/GrantIssuer",
        from,
        create(MsgGrantIssuerSchema, { grantee: to, type: "patient", delegable }),
      );
    grant(ROOT, b, true);
    grant(b, d, false);
    expect(code(() => grant(d, e, false))).toBe("UNAUTHORIZED");
    expect(code(() => grant(b, d, true))).toBe("CONFLICT");
    c.run("identity/IssueCredential", d, issue(address(20), "patient"));
    expect(k.issuerStanding(c.kv, d, "patient")).toEqual({ root: false, delegable: false, depth: 2 });
    // b cannot revoke what ROOT granted; ROOT can revoke anything of its type.
    c.run("identity/RevokeIssuer", ROOT, { grantee: b, type: "patient" });
    expect(k.issuerStanding(c.kv, d, "patient")).toBeUndefined();
    expect(code(() => c.run("identity/IssueCredential", d, issue(address(21), "patient")))).toBe(
      "UNAUTHORIZED",
    );
    expect(k.hasValidCredential(c.kv, address(20), "patient", { atMs: c.timeMs })).toBe(true);
    expect(code(() => c.run("identity/RevokeIssuer", e, { grantee: d, type: "patient" }))).toBe(
      "UNAUTHORIZED",
    );
    expect(code(() => c.run("identity/RevokeIssuer", ROOT, { grantee: e, type: "patient" }))).toBe(
      "NOT_FOUND",
    );
    // Re-granted without the right to delegate: what b delegated earlier lapses.
    grant(ROOT, b, false);
    expect(k.issuerStanding(c.kv, b, "patient")).toEqual({ root: false, delegable: false, depth: 1 });
    expect(k.issuerStanding(c.kv, d, "patient")).toBeUndefined();
  });

  it("genesis refuses a wrongly issued credential and bad parameters", () => {
    const m = createIdentityModule();
    const cred = {
      id: "1",
      subject: address(5),
      type: "patient",
      jurisdiction: "CN",
      attributes: {},
      issued_at_ms: "0",
      expires_at_ms: "100",
      issuer: address(9),
    };
    const params = { authorities: { patient: [ROOT] }, max_delegation_depth: 2, max_credentials_per_type: 4 };
    const ok = m.genesis.validateGenesis({ params, credentials: [cred] });
    expect(ok.next_id).toBe("2");
    expect(() => privacyChain({ params, credentials: [cred] })).toThrow(/issuer is not authorised/);
    expect(() =>
      m.genesis.validateGenesis({ params, credentials: [{ ...cred, jurisdiction: "ZZ" }] }),
    ).toThrow(/ISO 3166-1/);
    expect(() =>
      m.genesis.validateGenesis({ params: { ...params, authorities: { wizard: [ROOT] } } }),
    ).toThrow(/not a credential type/);
    // Export and import round-trip.
    const c = privacyChain({ params, credentials: [{ ...cred, issuer: ROOT }] });
    const exported = c.identity.genesis.exportGenesis(c.ctx(ROOT));
    expect(m.genesis.validateGenesis(JSON.parse(JSON.stringify(exported)))).toEqual(exported);
  });
});

describe("identity: delegation chains (property)", () => {
  // Few accounts, so that grants, revocations and re-grants of the same links are frequent.
  const accounts = [1, 2, 3, 4].map(address);
  const op = fc.oneof(
    fc.record({
      kind: fc.constant("grant" as const),
      from: fc.nat(3),
      to: fc.nat(3),
      delegable: fc.boolean(),
    }),
    fc.record({ kind: fc.constant("revoke" as const), from: fc.nat(3), to: fc.nat(3) }),
    fc.record({ kind: fc.constant("issue" as const), from: fc.nat(3) }),
  );

  it("standing, grants, revocations and issues match a top-down model of the delegation tree", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.array(op, { maxLength: 40 }), (maxDepth, ops) => {
        const c = chain(maxDepth);
        const roots = new Set([ROOT]);
        const grants = new Map<string, { by: string; delegable: boolean }>();
        // The model: breadth-first from the roots, down the grant records.
        const authorised = () => {
          const out = new Map<string, { depth: number; delegable: boolean }>();
          for (const r of roots) out.set(r, { depth: 0, delegable: true });
          for (let depth = 1; depth <= maxDepth; depth++) {
            for (const [grantee, g] of grants) {
              const parent = out.get(g.by);
              if (out.has(grantee) || !parent || !parent.delegable || parent.depth !== depth - 1) continue;
              out.set(grantee, { depth, delegable: g.delegable });
            }
          }
          return out;
        };
        for (const o of ops) {
          const model = authorised();
          const from = accounts[o.from]!;
          let expected: string;
          let actual: string;
          if (o.kind === "grant") {
            const to = accounts[o.to]!;
            const s = model.get(from);
            expected =
              from === to
                ? "INVALID_MESSAGE"
                : !s?.delegable || s.depth + 1 > maxDepth
                  ? "UNAUTHORIZED"
                  : grants.has(to)
                    ? "CONFLICT"
                    : "OK";
            actual = code(() =>
              c.run(
                "identity/GrantIssuer",
                from,
                create(MsgGrantIssuerSchema, { grantee: to, type: "patient", delegable: o.delegable }),
              ),
            );
            if (expected === "OK") grants.set(to, { by: from, delegable: o.delegable });
          } else if (o.kind === "revoke") {
            const to = accounts[o.to]!;
            const g = grants.get(to);
            expected = !g ? "NOT_FOUND" : g.by === from || roots.has(from) ? "OK" : "UNAUTHORIZED";
            actual = code(() => c.run("identity/RevokeIssuer", from, { grantee: to, type: "patient" }));
            if (expected === "OK") grants.delete(to);
          } else {
            expected = model.has(from) ? "OK" : "UNAUTHORIZED";
            actual = code(() =>
              c.run(
                "identity/IssueCredential",
                from,
                issue(address(100 + o.from), "patient", { expiresAtMs: c.timeMs + 1000n }),
              ),
            );
            c.setTime(c.timeMs + 1000n); // keep the per-type limit out of the way
          }
          expect(actual, JSON.stringify(o)).toBe(expected);
          const after = authorised();
          for (const a of accounts) {
            const s = c.identity.keeper.issuerStanding(c.kv, a, "patient");
            const m = after.get(a);
            expect(s === undefined ? undefined : { depth: s.depth, delegable: s.delegable }).toEqual(m);
          }
        }
      }),
      {
        numRuns: 150,
        examples: [
          [
            2,
            [
              { kind: "grant", from: 0, to: 1, delegable: true },
              { kind: "grant", from: 1, to: 2, delegable: false },
              { kind: "revoke", from: 0, to: 1 },
              { kind: "grant", from: 0, to: 1, delegable: false },
            ],
          ],
        ],
      },
    );
  });
});
