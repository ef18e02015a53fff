import { isJurisdiction } from "../framework/jurisdictions.ts";
import { type ComplianceRules, type DataClass, type Destinations, isDataClass, ruleSetKey } from "./rules.ts";

/** Where data of one class, held for a patient of `origin`, would be processed or stored. */
export interface DataRequest {
  readonly kind: "data";
  readonly dataClass: DataClass | string;
  /** The jurisdiction the data belongs to (the patient's). */
  readonly origin: string;
  /** The jurisdiction that would process or store it (the grantee's). */
  readonly destination: string;
}

/** Whether an investor of a type, in a jurisdiction, may hold an asset type. */
export interface InvestmentRequest {
  readonly kind: "investment";
  readonly investorType: string;
  readonly assetType: string;
  readonly jurisdiction: string;
}

export type ComplianceRequest = DataRequest | InvestmentRequest;

export type DenialCode =
  | "UNKNOWN_DATA_CLASS"
  | "UNKNOWN_JURISDICTION"
  | "NO_RULE"
  | "RESIDENCY"
  | "UNKNOWN_INVESTOR_TYPE"
  | "UNKNOWN_ASSET_TYPE"
  | "INVESTOR_NOT_ALLOWED";

/** Why a request is refused: a stable code, the rule's path in the parameters, and a sentence. */
export interface DenialReason {
  readonly code: DenialCode;
  readonly rule: string;
  readonly detail: string;
}

export type Decision =
  | { readonly allowed: true; readonly rule: string }
  | { readonly allowed: false; readonly reason: DenialReason };

const deny = (code: DenialCode, rule: string, detail: string): Decision => ({
  allowed: false,
  reason: { code, rule, detail },
});

/** The compliance decision: pure and deterministic (no clock, no I/O), one reason for every denial. */
export function decide(rules: ComplianceRules, request: ComplianceRequest): Decision {
  return request.kind === "data" ? decideData(rules, request) : decideInvestment(rules, request);
}

function resolve(
  rules: ComplianceRules,
  code: string,
  which: "residency" | "investment",
): string | undefined {
  let entry = rules.resolved.get(code);
  if (!entry) {
    entry = {
      residency: ruleSetKey(rules, rules.residency, code),
      investment: ruleSetKey(rules, rules.investment, code),
    };
    rules.resolved.set(code, entry);
  }
  return entry[which];
}

const admits = (d: Destinations, origin: string, destination: string) =>
  d.any || (d.same && origin === destination) || d.members.has(destination);

function decideData(rules: ComplianceRules, r: DataRequest): Decision {
  if (!isDataClass(r.dataClass)) {
    return deny("UNKNOWN_DATA_CLASS", "data_classes", `"${r.dataClass}" is not a data class`);
  }
  for (const code of [r.origin, r.destination]) {
    if (!isJurisdiction(code)) {
      return deny("UNKNOWN_JURISDICTION", "jurisdictions", `"${code}" is not an ISO 3166-1 alpha-2 code`);
    }
  }
  const key = resolve(rules, r.origin, "residency");
  const set = key === undefined ? undefined : rules.residency.get(key);
  const classKey = set?.has(r.dataClass) ? r.dataClass : "*";
  const allowed = set?.get(classKey);
  if (!allowed) {
    return deny("NO_RULE", `data_residency`, `no residency rule covers ${r.dataClass} data of ${r.origin}`);
  }
  const rule = `data_residency.${key}.${classKey}`;
  if (admits(allowed, r.origin, r.destination)) return { allowed: true, rule };
  return deny(
    "RESIDENCY",
    rule,
    `${r.dataClass} data of ${r.origin} may not be processed or stored in ${r.destination}`,
  );
}

function decideInvestment(rules: ComplianceRules, r: InvestmentRequest): Decision {
  if (!isJurisdiction(r.jurisdiction)) {
    return deny(
      "UNKNOWN_JURISDICTION",
      "jurisdictions",
      `"${r.jurisdiction}" is not an ISO 3166-1 alpha-2 code`,
    );
  }
  if (!rules.investorTypes.has(r.investorType)) {
    return deny("UNKNOWN_INVESTOR_TYPE", "investor_types", `"${r.investorType}" is not an investor type`);
  }
  if (!rules.assetTypes.has(r.assetType)) {
    return deny("UNKNOWN_ASSET_TYPE", "asset_types", `"${r.assetType}" is not an asset type`);
  }
  const key = resolve(rules, r.jurisdiction, "investment");
  const allowed = key === undefined ? undefined : rules.investment.get(key)?.get(r.investorType);
  if (!allowed) {
    return deny(
      "NO_RULE",
      key === undefined ? "investment" : `investment.${key}`,
      `no investment rule covers ${r.investorType} investors in ${r.jurisdiction}`,
    );
  }
  const rule = `investment.${key}.${r.investorType}`;
  if (admits(allowed, r.jurisdiction, r.assetType)) return { allowed: true, rule };
  return deny(
    "INVESTOR_NOT_ALLOWED",
    rule,
    `${r.investorType} investors in ${r.jurisdiction} may not hold ${r.assetType}`,
  );
}
