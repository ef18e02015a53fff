import { JsonFields } from "../framework/fields.ts";
import type { Module } from "../framework/module.ts";
import { COMPLIANCE, ComplianceKeeper } from "./keeper.ts";
import { complianceQueries } from "./queries.ts";
import { compileRules, DEFAULT_COMPLIANCE_PARAMS } from "./rules.ts";

export {
  type ComplianceRequest,
  type DataRequest,
  type Decision,
  type DenialCode,
  type DenialReason,
  decide,
  type InvestmentRequest,
} from "./decide.ts";
export { COMPLIANCE, ComplianceKeeper } from "./keeper.ts";
export { complianceRequest } from "./queries.ts";
export {
  type ComplianceRules,
  compileRules,
  DATA_CLASSES,
  type DataClass,
  DEFAULT_COMPLIANCE_PARAMS,
  isDataClass,
} from "./rules.ts";
export { type RequiredViewers, requiredViewers } from "./view-keys.ts";

export interface ComplianceGenesis {
  params: unknown;
}

export interface ComplianceModule extends Module<ComplianceGenesis> {
  readonly keeper: ComplianceKeeper;
}

export function createComplianceModule(): ComplianceModule {
  const keeper = new ComplianceKeeper();
  return {
    name: COMPLIANCE,
    keeper,
    messages: [],
    queries: complianceQueries(keeper),
    genesis: {
      defaultGenesis: () => ({ params: DEFAULT_COMPLIANCE_PARAMS }),
      validateGenesis(raw) {
        const f = new JsonFields("INVALID_GENESIS", COMPLIANCE);
        const o = f.object(raw);
        const params = o.params ?? DEFAULT_COMPLIANCE_PARAMS;
        compileRules(params);
        return { params };
      },
      // A genesis file written before this module existed has no section for it.
      initGenesis: (ctx, g) => void keeper.setParams(ctx.kv, g?.params ?? DEFAULT_COMPLIANCE_PARAMS),
      exportGenesis: (ctx) => ({ params: keeper.rawParams(ctx.kv) }),
    },
  };
}
