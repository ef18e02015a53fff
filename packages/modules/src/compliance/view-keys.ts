import { type ComplianceRules, ruleSetKey } from "./rules.ts";

/** The regulators who must be able to read a private transaction, and the rules that named them. */
export interface RequiredViewers {
  /** Sorted, each once. */
  readonly accounts: readonly string[];
  /** The `view_keys` paths applied, one per jurisdiction that had a rule (`view_keys.US.payment`). */
  readonly rules: readonly string[];
}

/**
 * Who must hold a view key on a private transaction of `dataClass` touching `jurisdictions`: the
 * union over those jurisdictions of their `view_keys` rule (own entry, else first group's, else
 * `*`; within it the data class's list, else `*`'s). Pure: a function of the rules alone.
 */
export function requiredViewers(
  rules: ComplianceRules,
  dataClass: string,
  jurisdictions: readonly string[],
): RequiredViewers {
  const accounts = new Set<string>();
  const applied = new Set<string>();
  for (const code of [...new Set(jurisdictions)].sort()) {
    const key = ruleSetKey(rules, rules.viewKeys, code);
    const byClass = key === undefined ? undefined : rules.viewKeys.get(key);
    const classKey = byClass?.has(dataClass) ? dataClass : "*";
    const list = byClass?.get(classKey);
    if (!list) continue;
    applied.add(`view_keys.${key}.${classKey}`);
    for (const a of list) accounts.add(a);
  }
  return { accounts: [...accounts].sort(), rules: [...applied].sort() };
}
