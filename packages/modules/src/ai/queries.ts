import { BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import type { AiKeeper } from "./keeper.ts";
import { checkFindingIndex, checkModelId, checkReportId, checkVersion } from "./types.ts";

function required(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (!value) throw new BttError("INVALID_MESSAGE", `query parameter "${name}" is required`);
  return value;
}

export function aiQueries(keeper: AiKeeper): QueryType[] {
  const id = (p: Record<string, string>) => {
    const v = required(p, "model_id");
    checkModelId(v);
    return v;
  };
  return [
    {
      name: "model",
      description: "One registered model with its versions: {model_id}",
      handle: (ctx, p) => {
        const m = keeper.requireModel(ctx.kv, id(p));
        return { model: m, versions: keeper.versions(ctx.kv, m.id) };
      },
    },
    {
      name: "models",
      description: "Every registered model",
      handle: (ctx) => ({ models: keeper.models(ctx.kv) }),
    },
    {
      name: "resolve",
      description:
        "The version to load and its pinned SHA-256: {model_id, version?}; without a version, the active one published last",
      handle: (ctx, p) => {
        if (p.version) checkVersion(p.version);
        return { version: keeper.resolve(ctx.kv, id(p), p.version) };
      },
    },
    {
      name: "params",
      description: "The ai module's parameters: confidence weights α, β per diagnostic module (ppm)",
      handle: (ctx) => ({ params: keeper.params.raw(ctx.kv) }),
    },
    {
      name: "consensus",
      description:
        "Clinicians' verdicts on a model version: {model_id, version} → {confirmed, reviewed}; P_consensus = (confirmed+1)/(reviewed+2)",
      handle: (ctx, p) => {
        const version = required(p, "version");
        checkVersion(version);
        return { consensus: keeper.consensus(ctx.kv, id(p), version) };
      },
    },
    {
      name: "verdict",
      description: "The verdict on one finding: {report_id, finding_index}",
      handle: (ctx, p) => {
        const reportId = required(p, "report_id");
        checkReportId(reportId);
        const raw = required(p, "finding_index");
        const index = /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
        checkFindingIndex(index);
        const v = keeper.verdict(ctx.kv, reportId, index);
        if (!v) throw new BttError("NOT_FOUND", `finding ${index} of report "${reportId}" has no verdict`);
        return { verdict: v };
      },
    },
  ];
}
