import { addressBytes } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import { isJurisdiction } from "../framework/jurisdictions.ts";

/** What health data is about; each class has its own residency rules. */
export const DATA_CLASSES = ["diagnosis", "identity", "imaging", "payment", "research"] as const;
export type DataClass = (typeof DATA_CLASSES)[number];
const CLASSES: ReadonlySet<string> = new Set(DATA_CLASSES);
export const isDataClass = (c: string): c is DataClass => CLASSES.has(c);

const NAME = /^[a-z][a-z0-9_]{0,47}$/;
const GROUP = /^[A-Z][A-Z0-9_]{1,31}$/;

/**
 * Rule sets held in the compliance parameters, compiled once per parameter change.
 *
 * - `groups`: named lists of jurisdictions (`EEA`, `EU_ADEQUACY`, …), written `@EEA` in rules.
 * - `data_residency`: per origin (a code, `@GROUP` or `*`), per data class (or `*`), the
 *   jurisdictions that may process or store that data: codes, `@GROUP`, `*` (anywhere) or `=`
 *   (the origin itself). An origin takes its own entry, else its first group's (by name), else `*`.
 * - `investment`: per jurisdiction (same lookup), per investor type, the asset types it may hold.
 * - `view_keys` (optional): per jurisdiction (same lookup), per data class (or `*`), the regulator
 *   accounts whose published encryption keys every private transaction of that class must be
 *   readable by.
 */
export interface ComplianceRules {
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
  readonly investorTypes: ReadonlySet<string>;
  readonly assetTypes: ReadonlySet<string>;
  readonly residency: ReadonlyMap<string, ReadonlyMap<string, Destinations>>;
  readonly investment: ReadonlyMap<string, ReadonlyMap<string, Destinations>>;
  /** `view_keys`: per jurisdiction key, per data class (or `*`), the regulator accounts (sorted). */
  readonly viewKeys: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
  /** Per origin: the rule-set key it resolves to (memoised; a pure function of the rules). */
  readonly resolved: Map<string, { residency?: string; investment?: string }>;
}

/** A compiled allow-list: explicit members, or anything, or the origin itself. */
export interface Destinations {
  readonly any: boolean;
  readonly same: boolean;
  readonly members: ReadonlySet<string>;
}

/**
 * Illustrative defaults, not legal advice: CN data stays in CN (PIPL); EEA data stays in the
 * EEA or goes to the countries of an adequacy list (the list below is an example to be kept up
 * to date by governance); US data may go to the US, the EEA and adequacy countries; any other
 * jurisdiction's data stays where it is. Investment: retail investors hold payment tokens and
 * diversified revenue shares; accredited and institutional investors hold any asset.
 */
export const DEFAULT_COMPLIANCE_PARAMS = {
  groups: {
    EEA: [
      "AT",
      "BE",
      "BG",
      "CY",
      "CZ",
      "DE",
      "DK",
      "EE",
      "ES",
      "FI",
      "FR",
      "GR",
      "HR",
      "HU",
      "IE",
      "IS",
      "IT",
      "LI",
      "LT",
      "LU",
      "LV",
      "MT",
      "NL",
      "NO",
      "PL",
      "PT",
      "RO",
      "SE",
      "SI",
      "SK",
    ],
    EU_ADEQUACY: ["AD", "AR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "US", "UY"],
  },
  data_residency: {
    "*": { "*": ["="] },
    "@EEA": { "*": ["@EEA", "@EU_ADEQUACY"] },
    CN: { "*": ["CN"] },
    US: { "*": ["US", "@EEA", "@EU_ADEQUACY"] },
  },
  investor_types: ["accredited", "institutional", "retail"],
  asset_types: ["clinic_equity", "equipment_lease", "payment_token", "real_estate", "revenue_share"],
  investment: {
    "*": {
      accredited: ["*"],
      institutional: ["*"],
      retail: ["payment_token", "revenue_share"],
    },
    CN: {
      accredited: ["*"],
      institutional: ["*"],
      retail: ["payment_token"],
    },
  },
};

export function compileRules(raw: unknown): ComplianceRules {
  const f = new JsonFields("INVALID_PARAMS", "compliance.params");
  const o = f.object(raw);
  const gf = f.at("groups");
  const go = gf.object(o.groups ?? {});
  const groups = new Map<string, Set<string>>();
  for (const name of Object.keys(go).sort()) {
    gf.check(GROUP.test(name), `name "${name}" must match ${GROUP.source}`);
    const members = new Set<string>();
    gf.array(go, name).forEach((code, i) => {
      gf.check(
        typeof code === "string" && isJurisdiction(code),
        "must be an ISO 3166-1 alpha-2 code",
        `${name}[${i}]`,
      );
      members.add(code as string);
    });
    groups.set(name, members);
  }
  const names = (field: string) => {
    const set = new Set<string>();
    f.array(o, field).forEach((n, i) => {
      f.check(typeof n === "string" && NAME.test(n), `must match ${NAME.source}`, `${field}[${i}]`);
      set.add(n as string);
    });
    return set;
  };
  const investorTypes = names("investor_types");
  const assetTypes = names("asset_types");

  const origin = (rf: JsonFields, key: string) => {
    if (key === "*" || isJurisdiction(key)) return;
    rf.check(
      key.startsWith("@") && groups.has(key.slice(1)),
      `key "${key}" is not a code, a known @GROUP or *`,
    );
  };
  const destinations = (df: JsonFields, list: unknown[], allowSame: boolean, known?: ReadonlySet<string>) => {
    const members = new Set<string>();
    let any = false;
    let same = false;
    list.forEach((entry, i) => {
      const at = `[${i}]`;
      df.check(typeof entry === "string", "must be a string", at);
      const e = entry as string;
      if (e === "*") any = true;
      else if (e === "=" && allowSame) same = true;
      else if (known) {
        df.check(known.has(e), `"${e}" is not a listed type`, at);
        members.add(e);
      } else if (e.startsWith("@")) {
        const group = groups.get(e.slice(1));
        df.check(group !== undefined, `names unknown group ${e}`, at);
        for (const m of group!) members.add(m);
      } else {
        df.check(isJurisdiction(e), `"${e}" is not an ISO 3166-1 alpha-2 code, @GROUP, * or =`, at);
        members.add(e);
      }
    });
    return { any, same, members };
  };

  const rf = f.at("data_residency");
  const ro = rf.object(o.data_residency);
  const residency = new Map<string, Map<string, Destinations>>();
  for (const key of Object.keys(ro).sort()) {
    origin(rf, key);
    const cf = rf.at(key);
    const co = cf.object(ro[key]);
    const byClass = new Map<string, Destinations>();
    for (const cls of Object.keys(co).sort()) {
      cf.check(cls === "*" || isDataClass(cls), `"${cls}" is not a data class or *`);
      byClass.set(cls, destinations(cf.at(cls), cf.array(co, cls), true));
    }
    residency.set(key, byClass);
  }

  const inf = f.at("investment");
  const ino = inf.object(o.investment ?? {});
  const investment = new Map<string, Map<string, Destinations>>();
  for (const key of Object.keys(ino).sort()) {
    origin(inf, key);
    const tf = inf.at(key);
    const to = tf.object(ino[key]);
    const byType = new Map<string, Destinations>();
    for (const investor of Object.keys(to).sort()) {
      tf.check(investorTypes.has(investor), `"${investor}" is not in investor_types`);
      byType.set(investor, destinations(tf.at(investor), tf.array(to, investor), false, assetTypes));
    }
    investment.set(key, byType);
  }
  const viewKeys = compileViewKeys(f.at("view_keys"), o.view_keys ?? {}, origin);
  return { groups, investorTypes, assetTypes, residency, investment, viewKeys, resolved: new Map() };
}

/** The key of the rule set that applies to `code` in `sets`: its own, its first group's, or `*`. */
export function ruleSetKey(
  rules: ComplianceRules,
  sets: ReadonlyMap<string, unknown>,
  code: string,
): string | undefined {
  if (sets.has(code)) return code;
  for (const [name, members] of rules.groups) {
    if (members.has(code) && sets.has(`@${name}`)) return `@${name}`;
  }
  return sets.has("*") ? "*" : undefined;
}

function compileViewKeys(
  vf: JsonFields,
  raw: unknown,
  origin: (f: JsonFields, key: string) => void,
): Map<string, Map<string, readonly string[]>> {
  const vo = vf.object(raw);
  const out = new Map<string, Map<string, readonly string[]>>();
  for (const key of Object.keys(vo).sort()) {
    origin(vf, key);
    const cf = vf.at(key);
    const co = cf.object(vo[key]);
    const byClass = new Map<string, readonly string[]>();
    for (const cls of Object.keys(co).sort()) {
      cf.check(cls === "*" || isDataClass(cls), `"${cls}" is not a data class or *`);
      const accounts = cf.array(co, cls).map((a, i) => {
        let ok = typeof a === "string";
        try {
          if (ok) addressBytes(a as string);
        } catch {
          ok = false;
        }
        cf.check(ok, "must be a btt1… address", `${cls}[${i}]`);
        return a as string;
      });
      byClass.set(cls, [...new Set(accounts)].sort());
    }
    out.set(key, byClass);
  }
  return out;
}
