import { addressBytes } from "@btt/core";
import { JsonFields } from "../framework/fields.ts";
import { isJurisdiction } from "../framework/jurisdictions.ts";
import type { Context, ModuleGenesis } from "../framework/module.ts";
import { authorisationJson, credentialJson } from "./codec.ts";
import type { IdentityKeeper } from "./keeper.ts";
import { DEFAULT_IDENTITY_PARAMS, type IdentityParamsStore, validateIdentityParams } from "./params.ts";
import { type Credential, type CredentialType, type IssuerAuthorisation, isCredentialType } from "./types.ts";
import { ATTRIBUTE_KEY_PATTERN, MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES } from "./validation.ts";

/** The identity section of a genesis file, as JSON (times and ids as decimal strings). */
export interface IdentityGenesis {
  params: unknown;
  authorisations: Array<Record<string, unknown>>;
  credentials: Array<Record<string, unknown>>;
  next_id: string;
}

interface ParsedGenesis {
  params: unknown;
  authorisations: IssuerAuthorisation[];
  credentials: Credential[];
  nextId: bigint;
}

const U64_MAX = 2n ** 64n - 1n;

export function identityGenesis(
  keeper: IdentityKeeper,
  params: IdentityParamsStore,
): ModuleGenesis<IdentityGenesis> {
  return {
    defaultGenesis: () => ({
      params: DEFAULT_IDENTITY_PARAMS,
      authorisations: [],
      credentials: [],
      next_id: "1",
    }),

    validateGenesis(raw) {
      const g = parseGenesis(raw);
      return {
        params: g.params,
        authorisations: g.authorisations.map(authorisationJson),
        credentials: g.credentials.map(credentialJson),
        next_id: g.nextId.toString(),
      };
    },

    initGenesis(ctx: Context, raw) {
      // A genesis file written before this module existed has no section for it.
      const g = parseGenesis(raw ?? this.defaultGenesis());
      params.write(ctx.kv, g.params);
      for (const a of g.authorisations) keeper.putAuthorisation(ctx.kv, a);
      // Authorisation chains are checked once all are in place: a delegate may be listed before its granter.
      const f = new JsonFields("INVALID_GENESIS", "identity");
      g.authorisations.forEach((a, i) => {
        f.check(
          keeper.issuerStanding(ctx.kv, a.grantee, a.type) !== undefined,
          `grantee's chain does not reach a root authority of ${a.type}`,
          `authorisations[${i}]`,
        );
      });
      g.credentials.forEach((c, i) => {
        f.check(
          keeper.issuerStanding(ctx.kv, c.issuer, c.type) !== undefined,
          `issuer is not authorised to issue ${c.type}`,
          `credentials[${i}]`,
        );
        keeper.store(ctx.kv, c);
        if (!c.revoked) keeper.list(ctx.kv, c);
      });
      keeper.setNextId(ctx.kv, g.nextId);
    },

    exportGenesis(ctx: Context) {
      return {
        params: params.raw(ctx.kv),
        authorisations: [...keeper.allAuthorisations(ctx.kv)].map(authorisationJson),
        credentials: [...keeper.allCredentials(ctx.kv)].map(credentialJson),
        next_id: keeper.nextId(ctx.kv).toString(),
      };
    },
  };
}

function parseGenesis(raw: unknown): ParsedGenesis {
  const f = new JsonFields("INVALID_GENESIS", "identity");
  const o = f.object(raw);
  const rawParams = o.params ?? DEFAULT_IDENTITY_PARAMS;
  validateIdentityParams(rawParams);
  const address = (ff: JsonFields, oo: Record<string, unknown>, field: string) => {
    const a = ff.string(oo, field);
    try {
      addressBytes(a);
    } catch {
      ff.check(false, "is not an address", field);
    }
    return a;
  };
  const type = (ff: JsonFields, oo: Record<string, unknown>) => {
    const t = ff.string(oo, "type");
    ff.check(isCredentialType(t), `"${t}" is not a credential type`, "type");
    return t as CredentialType;
  };
  const time = (ff: JsonFields, oo: Record<string, unknown>, field: string, fallback?: string) => {
    const v = ff.amount(oo, field, fallback);
    ff.check(v <= U64_MAX, "must fit 64 bits", field);
    return v;
  };
  const seenGrant = new Set<string>();
  const authorisations = f.array(o, "authorisations", []).map((a, i) => {
    const af = f.at("authorisations").at(i);
    const ao = af.object(a);
    af.check(
      ao.delegable === undefined || typeof ao.delegable === "boolean",
      "must be true or false",
      "delegable",
    );
    const grant: IssuerAuthorisation = {
      grantee: address(af, ao, "grantee"),
      type: type(af, ao),
      delegable: (ao.delegable as boolean | undefined) ?? false,
      grantedBy: address(af, ao, "granted_by"),
      grantedAtMs: time(af, ao, "granted_at_ms", "0"),
    };
    const id = `${grant.type}/${grant.grantee}`;
    af.check(!seenGrant.has(id), "repeats an authorisation listed earlier");
    seenGrant.add(id);
    return grant;
  });
  const seenIds = new Set<bigint>();
  const credentials = f.array(o, "credentials", []).map((c, i) => {
    const cf = f.at("credentials").at(i);
    const co = cf.object(c);
    const id = time(cf, co, "id");
    cf.check(id > 0n && !seenIds.has(id), "must be a positive id, each once", "id");
    seenIds.add(id);
    const jurisdiction = cf.string(co, "jurisdiction");
    cf.check(isJurisdiction(jurisdiction), "is not an ISO 3166-1 alpha-2 code", "jurisdiction");
    const attrs = cf.object(co.attributes ?? {});
    const keys = Object.keys(attrs);
    cf.check(keys.length <= MAX_ATTRIBUTES, `has more than ${MAX_ATTRIBUTES} attributes`, "attributes");
    const attributes: Record<string, string> = {};
    for (const key of keys.sort()) {
      const value = attrs[key];
      cf.check(ATTRIBUTE_KEY_PATTERN.test(key), `key "${key}" is not allowed`, "attributes");
      cf.check(
        typeof value === "string" && value.length <= MAX_ATTRIBUTE_VALUE,
        "values are short strings",
        "attributes",
      );
      attributes[key] = value as string;
    }
    const credential: Credential = {
      id,
      subject: address(cf, co, "subject"),
      type: type(cf, co),
      jurisdiction,
      attributes,
      issuedAtMs: time(cf, co, "issued_at_ms"),
      expiresAtMs: time(cf, co, "expires_at_ms"),
      issuer: address(cf, co, "issuer"),
    };
    cf.check(
      credential.expiresAtMs > credential.issuedAtMs,
      "must expire after it is issued",
      "expires_at_ms",
    );
    if (credential.type === "kyc")
      cf.check(/^[123]$/.test(attributes.level ?? ""), "needs level 1, 2 or 3", "attributes");
    if (co.revoked !== undefined) {
      const rf = cf.at("revoked");
      const ro = rf.object(co.revoked);
      credential.revoked = {
        atMs: time(rf, ro, "at_ms"),
        by: address(rf, ro, "by"),
        reason: rf.string(ro, "reason", ""),
      };
    }
    return credential;
  });
  const highest = [...seenIds].reduce((a, b) => (a > b ? a : b), 0n);
  const nextId = time(f, o, "next_id", (highest + 1n).toString());
  for (const id of seenIds) f.check(id < nextId, `must be above every credential id (${id})`, "next_id");
  return { params: rawParams, authorisations, credentials, nextId };
}
