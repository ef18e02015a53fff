import { BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import type { ComplianceRequest } from "./decide.ts";
import { COMPLIANCE, type ComplianceKeeper } from "./keeper.ts";

function required(p: Record<string, string>, name: string): string {
  const value = p[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`, { field: name });
  return value;
}

/** A dry-run request from query parameters: {kind: data|investment, …}. */
export function complianceRequest(p: Record<string, string>): ComplianceRequest {
  const kind = required(p, "kind");
  if (kind === "data") {
    return {
      kind,
      dataClass: required(p, "data_class"),
      origin: required(p, "origin"),
      destination: required(p, "destination"),
    };
  }
  if (kind === "investment") {
    return {
      kind,
      investorType: required(p, "investor_type"),
      assetType: required(p, "asset_type"),
      jurisdiction: required(p, "jurisdiction"),
    };
  }
  throw new BttError("INVALID_MESSAGE", `kind must be "data" or "investment", not "${kind}"`, {
    field: "kind",
  });
}

export function complianceQueries(keeper: ComplianceKeeper): QueryType[] {
  return [
    {
      name: "decide",
      description:
        "Dry run of the compliance decision: {kind: data, data_class, origin, destination} or " +
        "{kind: investment, investor_type, asset_type, jurisdiction}",
      handle: (ctx, p) => keeper.decide(ctx.kv, complianceRequest(p)),
    },
    {
      name: "view_keys",
      description:
        "The regulator accounts a private transaction must be readable by: {data_class, jurisdictions (comma-separated)}",
      handle: (ctx, p) =>
        keeper.requiredViewers(
          ctx.kv,
          required(p, "data_class"),
          required(p, "jurisdictions")
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== ""),
        ),
    },
    {
      name: "params",
      description: `The ${COMPLIANCE} rule sets`,
      handle: (ctx) => keeper.rawParams(ctx.kv),
    },
  ];
}
