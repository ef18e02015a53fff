import { addressBytes } from "@btt/core";
import type { DataClass } from "../compliance/rules.ts";
import { isDataClass } from "../compliance/rules.ts";
import { JsonFields } from "../framework/fields.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import { grantJson } from "./codec.ts";
import type { ConsentKeeper } from "./keeper.ts";
import { DEFAULT_CONSENT_PARAMS } from "./params.ts";
import { type ConsentGrant, isPurpose, type Purpose, RECORD_ID_PATTERN } from "./types.ts";

/** The consent section of a genesis file: parameters and grants (JSON, times as decimal strings). */
export interface ConsentGenesis {
  params: unknown;
  grants: Array<Record<string, unknown>>;
  next_id: string;
}

const U64_MAX = 2n ** 64n - 1n;

function parseGenesis(
  raw: unknown,
  keeper: ConsentKeeper,
): { params: unknown; grants: ConsentGrant[]; nextId: bigint } {
  const f = new JsonFields("INVALID_GENESIS", "consent");
  const o = f.object(raw);
  const params = o.params ?? DEFAULT_CONSENT_PARAMS;
  keeper.params.validate(params);
  const u64 = (ff: JsonFields, oo: Record<string, unknown>, field: string, fallback?: string) => {
    const v = ff.amount(oo, field, fallback);
    ff.check(v <= U64_MAX, "must fit 64 bits", field);
    return v;
  };
  const address = (ff: JsonFields, oo: Record<string, unknown>, field: string) => {
    const a = ff.string(oo, field);
    try {
      addressBytes(a);
    } catch {
      ff.check(false, "is not an address", field);
    }
    return a;
  };
  const sorted = (ff: JsonFields, list: unknown[], field: string, ok: (s: string) => boolean) => {
    list.forEach((s, i) => {
      ff.check(typeof s === "string" && ok(s), "is not allowed", `${field}[${i}]`);
      if (i > 0) ff.check((s as string) > (list[i - 1] as string), "must be sorted, each once", field);
    });
    return list as string[];
  };
  const seen = new Set<bigint>();
  const grants = f.array(o, "grants", []).map((g, i) => {
    const gf = f.at("grants").at(i);
    const go = gf.object(g);
    const id = u64(gf, go, "id");
    gf.check(id > 0n && !seen.has(id), "must be a positive id, each once", "id");
    seen.add(id);
    const purpose = gf.string(go, "purpose");
    gf.check(isPurpose(purpose), "is not a purpose", "purpose");
    const dataClasses = sorted(gf, gf.array(go, "data_classes"), "data_classes", isDataClass) as DataClass[];
    gf.check(dataClasses.length > 0, "must not be empty", "data_classes");
    const grant: ConsentGrant = {
      id,
      patient: address(gf, go, "patient"),
      grantee: address(gf, go, "grantee"),
      dataClasses,
      purpose: purpose as Purpose,
      recordIds: sorted(gf, gf.array(go, "record_ids", []), "record_ids", (s) => RECORD_ID_PATTERN.test(s)),
      grantedAtMs: u64(gf, go, "granted_at_ms", "0"),
      expiresAtMs: u64(gf, go, "expires_at_ms"),
    };
    if (go.revoked_at_ms !== undefined) grant.revokedAtMs = u64(gf, go, "revoked_at_ms");
    return grant;
  });
  const highest = [...seen].reduce((a, b) => (a > b ? a : b), 0n);
  const nextId = u64(f, o, "next_id", (highest + 1n).toString());
  f.check(nextId > highest, "must be above every grant id", "next_id");
  return { params, grants, nextId };
}

export function consentGenesis(keeper: ConsentKeeper): ModuleGenesis<ConsentGenesis> {
  return {
    defaultGenesis: () => ({ params: DEFAULT_CONSENT_PARAMS, grants: [], next_id: "1" }),
    validateGenesis(raw) {
      const g = parseGenesis(raw, keeper);
      return { params: g.params, grants: g.grants.map(grantJson), next_id: g.nextId.toString() };
    },
    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = parseGenesis(raw ?? this.defaultGenesis(), keeper);
      keeper.params.write(ctx.kv, g.params);
      for (const grant of g.grants) {
        keeper.put(ctx.kv, grant);
        if (grant.revokedAtMs === undefined) keeper.activate(ctx.kv, grant);
      }
      keeper.setNextId(ctx.kv, g.nextId);
    },
    exportGenesis(ctx: Context) {
      return {
        params: keeper.params.raw(ctx.kv),
        grants: [...keeper.allGrants(ctx.kv)].map(grantJson),
        next_id: keeper.nextId(ctx.kv).toString(),
      };
    },
  };
}
