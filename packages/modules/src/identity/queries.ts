import { addressBytes, BttError } from "@btt/core";
import type { QueryContext, QueryType } from "../framework/module.ts";
import { authorisationJson, credentialJson } from "./codec.ts";
import { type IdentityKeeper, isValid, type ValidityQuery } from "./keeper.ts";
import { IDENTITY, type IdentityParamsStore } from "./params.ts";
import { requireCredentialType } from "./types.ts";
import { requireJurisdiction } from "./validation.ts";

export function requiredParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`, { field: name });
  return value;
}

export function decimalParam(params: Record<string, string>, name: string): bigint | undefined {
  const value = params[name];
  if (value === undefined || value === "") return undefined;
  if (!/^(0|[1-9][0-9]{0,19})$/.test(value) || BigInt(value) >= 2n ** 64n) {
    throw new BttError("INVALID_MESSAGE", `query parameter "${name}" must be an unsigned 64-bit integer`, {
      field: name,
    });
  }
  return BigInt(value);
}

/** The state and block time a query reads: the latest, or `height` within the retention window. */
export function queryState(ctx: QueryContext, height: bigint | undefined) {
  if (height === undefined || height === ctx.height) {
    if (ctx.timeMs === undefined) throw new BttError("NOT_READY", "no block has been committed yet");
    return { kv: ctx.kv, height: ctx.height, timeMs: ctx.timeMs };
  }
  if (height > ctx.height) {
    throw new BttError(
      "HEIGHT_UNAVAILABLE",
      `height ${height} is not committed yet; the latest is ${ctx.height}`,
      {
        height: height.toString(),
      },
    );
  }
  if (!ctx.at) throw new BttError("HEIGHT_UNAVAILABLE", "this node does not serve past state");
  return ctx.at(height);
}

export function identityQueries(keeper: IdentityKeeper, params: IdentityParamsStore): QueryType[] {
  return [
    {
      name: "credentials",
      description: "The listed credentials of an account, each with whether it is valid now: {subject}",
      handle(ctx, p) {
        const subject = requiredParam(p, "subject");
        addressBytes(subject, "subject");
        const atMs = ctx.timeMs ?? 0n;
        return {
          subject,
          at_ms: atMs.toString(),
          credentials: keeper
            .credentialsOf(ctx.kv, subject)
            .map((c) => ({ ...credentialJson(c), valid: isValid(c, { atMs }) })),
        };
      },
    },
    {
      name: "credential",
      description: "One credential by id, revoked or not: {id}",
      handle(ctx, p) {
        const id = decimalParam(p, "id");
        if (id === undefined) throw new BttError("INVALID_MESSAGE", 'query parameter "id" is required');
        const c = keeper.credential(ctx.kv, id);
        if (!c) throw new BttError("NOT_FOUND", `no credential ${id}`, { id: id.toString() });
        return credentialJson(c);
      },
    },
    {
      name: "valid",
      description:
        "Does {subject} hold a valid {type} (in {jurisdiction}, of {min_kyc_level}) at {height} (latest by default)?",
      handle(ctx, p) {
        const subject = requiredParam(p, "subject");
        addressBytes(subject, "subject");
        const type = requireCredentialType(requiredParam(p, "type"));
        const q: Omit<ValidityQuery, "atMs"> = {};
        if (p.jurisdiction) q.jurisdiction = requireJurisdiction(p.jurisdiction);
        const level = decimalParam(p, "min_kyc_level");
        if (level !== undefined) {
          if (level < 1n || level > 3n)
            throw new BttError("INVALID_MESSAGE", "min_kyc_level must be 1, 2 or 3");
          q.minKycLevel = Number(level);
        }
        const state = queryState(ctx, decimalParam(p, "height"));
        const found = keeper.validCredential(state.kv, subject, type, { ...q, atMs: state.timeMs });
        return {
          subject,
          type,
          valid: found !== undefined,
          height: state.height.toString(),
          at_ms: state.timeMs.toString(),
          ...(found ? { credential: credentialJson(found) } : {}),
        };
      },
    },
    {
      name: "issuer",
      description: "Whether {address} may issue {type} now, and how (root or delegated, delegable)",
      handle(ctx, p) {
        const address = requiredParam(p, "address");
        addressBytes(address, "address");
        const type = requireCredentialType(requiredParam(p, "type"));
        const standing = keeper.issuerStanding(ctx.kv, address, type);
        const grant = keeper.authorisation(ctx.kv, type, address);
        return {
          address,
          type,
          authorised: standing !== undefined,
          ...(standing ? { root: standing.root, delegable: standing.delegable, depth: standing.depth } : {}),
          ...(grant ? { authorisation: authorisationJson(grant) } : {}),
        };
      },
    },
    {
      name: "params",
      description: `The ${IDENTITY} module's parameters`,
      handle: (ctx) => params.raw(ctx.kv),
    },
  ];
}
