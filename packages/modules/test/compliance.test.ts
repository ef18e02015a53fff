import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRules, DEFAULT_COMPLIANCE_PARAMS, decide } from "../src/compliance/index.ts";
import { privacyChain } from "./privacy-harness.ts";

const rules = compileRules(DEFAULT_COMPLIANCE_PARAMS);
const data = (dataClass: string, origin: string, destination: string) =>
  decide(rules, { kind: "data", dataClass, origin, destination });

describe("compliance: data residency", () => {
  it("keeps CN data in CN, EEA data in the EEA or adequacy countries, and others at home", () => {
    expect(data("imaging", "CN", "CN")).toEqual({ allowed: true, rule: "data_residency.CN.*" });
    expect(data("imaging", "CN", "US")).toEqual({
      allowed: false,
      reason: {
        code: "RESIDENCY",
        rule: "data_residency.CN.*",
        detail: "imaging data of CN may not be processed or stored in US",
      },
    });
    expect(data("diagnosis", "DE", "FR")).toMatchObject({ allowed: true, rule: "data_residency.@EEA.*" });
    expect(data("diagnosis", "DE", "JP")).toMatchObject({ allowed: true });
    expect(data("diagnosis", "DE", "CN")).toMatchObject({ allowed: false, reason: { code: "RESIDENCY" } });
    expect(data("payment", "US", "DE")).toMatchObject({ allowed: true, rule: "data_residency.US.*" });
    expect(data("payment", "US", "CN")).toMatchObject({ allowed: false });
    // No rule of its own: the "*" rule set keeps data where it is ("=").
    expect(data("research", "BR", "BR")).toEqual({ allowed: true, rule: "data_residency.*.*" });
    expect(data("research", "BR", "AR")).toMatchObject({
      allowed: false,
      reason: { rule: "data_residency.*.*" },
    });
  });

  it("refuses unknown classes and jurisdictions with a reason, not an exception", () => {
    expect(data("genome", "DE", "DE")).toMatchObject({
      allowed: false,
      reason: { code: "UNKNOWN_DATA_CLASS" },
    });
    expect(data("imaging", "EU", "DE")).toMatchObject({
      allowed: false,
      reason: { code: "UNKNOWN_JURISDICTION" },
    });
    expect(data("imaging", "DE", "XX")).toMatchObject({
      allowed: false,
      reason: { code: "UNKNOWN_JURISDICTION" },
    });
  });

  it("a class rule overrides the origin's * rule; without any rule, NO_RULE", () => {
    const r = compileRules({
      investor_types: ["retail"],
      asset_types: ["payment_token"],
      groups: {},
      data_residency: { DE: { research: ["*"], imaging: ["DE"] } },
    });
    expect(decide(r, { kind: "data", dataClass: "research", origin: "DE", destination: "US" })).toMatchObject(
      {
        allowed: true,
        rule: "data_residency.DE.research",
      },
    );
    expect(decide(r, { kind: "data", dataClass: "payment", origin: "DE", destination: "DE" })).toMatchObject({
      allowed: false,
      reason: { code: "NO_RULE" },
    });
    expect(decide(r, { kind: "data", dataClass: "imaging", origin: "FR", destination: "FR" })).toMatchObject({
      allowed: false,
      reason: { code: "NO_RULE" },
    });
  });
});

describe("compliance: investors", () => {
  const inv = (investorType: string, assetType: string, jurisdiction: string) =>
    decide(rules, { kind: "investment", investorType, assetType, jurisdiction });
  it("lets each investor type hold only its asset types, per jurisdiction", () => {
    expect(inv("accredited", "clinic_equity", "US")).toMatchObject({
      allowed: true,
      rule: "investment.*.accredited",
    });
    expect(inv("retail", "revenue_share", "US")).toMatchObject({ allowed: true });
    expect(inv("retail", "clinic_equity", "US")).toMatchObject({
      allowed: false,
      reason: { code: "INVESTOR_NOT_ALLOWED", rule: "investment.*.retail" },
    });
    expect(inv("retail", "revenue_share", "CN")).toMatchObject({
      allowed: false,
      reason: { code: "INVESTOR_NOT_ALLOWED", rule: "investment.CN.retail" },
    });
    expect(inv("whale", "payment_token", "US")).toMatchObject({ reason: { code: "UNKNOWN_INVESTOR_TYPE" } });
    expect(inv("retail", "tulips", "US")).toMatchObject({ reason: { code: "UNKNOWN_ASSET_TYPE" } });
  });
});

describe("compliance: parameters and the dry-run query", () => {
  it("refuses malformed rule sets with the field at fault", () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...DEFAULT_COMPLIANCE_PARAMS, groups: { EEA: ["DE", "EU"] } }, /groups\.EEA\[1\]/],
      [{ ...DEFAULT_COMPLIANCE_PARAMS, data_residency: { "@NOPE": { "*": ["*"] } } }, /@NOPE/],
      [{ ...DEFAULT_COMPLIANCE_PARAMS, data_residency: { DE: { genome: ["DE"] } } }, /genome/],
      [{ ...DEFAULT_COMPLIANCE_PARAMS, data_residency: { DE: { "*": ["@MARS"] } } }, /MARS/],
      [{ ...DEFAULT_COMPLIANCE_PARAMS, investment: { "*": { retail: ["tulips"] } } }, /tulips/],
    ];
    for (const [params, message] of bad) expect(() => compileRules(params)).toThrow(message);
    expect(() => privacyChain({}, { nope: true })).toThrow(/compliance/);
  });

  it("answers a dry run from state, and refuses a malformed one", () => {
    const c = privacyChain();
    const q = c.compliance.queries.find((x) => x.name === "decide")!;
    const ctx = { kv: c.kv, height: 1n };
    expect(
      q.handle(ctx, { kind: "data", data_class: "imaging", origin: "CN", destination: "DE" }),
    ).toMatchObject({
      allowed: false,
      reason: { code: "RESIDENCY" },
    });
    expect(() => q.handle(ctx, { kind: "weather" })).toThrow(/kind/);
    expect(() => q.handle(ctx, { kind: "data", data_class: "imaging" })).toThrow(/origin/);
  });
});

describe("compliance: every answer is traceable (property)", () => {
  const codes = ["CN", "DE", "FR", "US", "JP", "BR", "GB", "XX", "EU", "de"];
  const classes = ["imaging", "diagnosis", "payment", "identity", "research", "genome"];
  it("same request, same answer; every denial has a code, a rule and a sentence; every allow a rule", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...classes),
        fc.constantFrom(...codes),
        fc.constantFrom(...codes),
        (dataClass, origin, destination) => {
          const request = { kind: "data" as const, dataClass, origin, destination };
          const first = decide(rules, request);
          // A fresh compile of the same parameters answers the same (no hidden state, no clock).
          expect(decide(compileRules(DEFAULT_COMPLIANCE_PARAMS), request)).toEqual(first);
          if (first.allowed) expect(first.rule).toMatch(/^data_residency\./);
          else {
            expect(first.reason.code).toMatch(/^[A-Z_]+$/);
            expect(first.reason.rule.length).toBeGreaterThan(0);
            expect(first.reason.detail.length).toBeGreaterThan(0);
          }
          // Data never leaves CN, whatever the class.
          if (origin === "CN" && destination !== "CN") expect(first.allowed).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
