import { BttError } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import type { AiKeeper } from "./keeper.ts";
import { checkModelId, checkVersion } from "./types.ts";

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
  ];
}
