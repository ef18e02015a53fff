import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { type ComplianceRequest, type Decision, decide } from "./decide.ts";
import { type ComplianceRules, compileRules } from "./rules.ts";
import { type RequiredViewers, requiredViewers } from "./view-keys.ts";

export const COMPLIANCE = "compliance";

/** The compliance rules (the module's parameters) and the one decision other modules ask for. */
export class ComplianceKeeper {
  private readonly store = new ParamsStore(COMPLIANCE, compileRules);

  rules(kv: KVStore): ComplianceRules {
    return this.store.read(kv);
  }

  decide(kv: KVStore, request: ComplianceRequest): Decision {
    return decide(this.rules(kv), request);
  }

  /** The regulator accounts a private transaction of `dataClass` in `jurisdictions` must be readable by. */
  requiredViewers(kv: KVStore, dataClass: string, jurisdictions: readonly string[]): RequiredViewers {
    return requiredViewers(this.rules(kv), dataClass, jurisdictions);
  }

  rawParams(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, COMPLIANCE));
  }

  setParams(kv: KVStore, raw: unknown): ComplianceRules {
    return this.store.set(new PrefixStore(kv, COMPLIANCE), raw);
  }
}
