import { addressBytes, BttError, parseAmount } from "@btt/core";
import { validateDenom } from "../bank/denoms.ts";
import { JsonFields } from "../framework/fields.ts";
import type { ModuleGenesis } from "../framework/module.ts";
import type { AiKeeper } from "./keeper.ts";
import {
  checkModalities,
  checkModelId,
  checkSha256,
  checkTask,
  checkText,
  checkVersion,
  type ModelRecord,
  type VersionRecord,
} from "./types.ts";

/** The ai section of a genesis file: models, each with its versions. */
export interface AiGenesis {
  models: Array<ModelRecord & { versions: VersionRecord[] }>;
}

/** Runs a message-style check and reports its failure as a genesis error at `path`. */
function asGenesis(path: string, check: () => void): void {
  try {
    check();
  } catch (err) {
    if (err instanceof BttError)
      throw new BttError("INVALID_GENESIS", `${path}: ${err.message}`, err.details);
    throw err;
  }
}

const decimal = (f: JsonFields, obj: Record<string, unknown>, field: string): string =>
  f.amount(obj, field).toString();

export function aiGenesis(keeper: AiKeeper): ModuleGenesis<AiGenesis> {
  return {
    defaultGenesis: () => ({ models: [] }),

    validateGenesis(raw) {
      const root = new JsonFields("INVALID_GENESIS", "ai");
      const obj = root.object(raw);
      const ids = new Set<string>();
      const models = root.array(obj, "models", []).map((item, i) => {
        const f = root.at("models").at(i);
        const m = f.object(item);
        const id = f.string(m, "id");
        const owner = f.string(m, "owner");
        const task = f.string(m, "task");
        const modalities = f.array(m, "modalities").map((x, k) => {
          f.at("modalities").check(typeof x === "string", "must be a string", String(k));
          return x as string;
        });
        const description = f.string(m, "description", "");
        asGenesis(f.path, () => {
          checkModelId(id, "id");
          addressBytes(owner, "owner");
          checkTask(task);
          checkModalities(modalities);
          checkText(description, "description");
        });
        f.check(!ids.has(id), "repeats a model id", "id");
        ids.add(id);
        let price: ModelRecord["price_per_task"];
        if (m.price_per_task !== undefined) {
          const pf = f.at("price_per_task");
          const p = pf.object(m.price_per_task);
          const denom = pf.string(p, "denom");
          asGenesis(pf.path, () => validateDenom(denom));
          price = { denom, amount: parseAmount(pf.string(p, "amount"), "amount").toString() };
        }
        const versions = f.array(m, "versions", []).map((vItem, k) => {
          const vf = f.at("versions").at(k);
          const v = vf.object(vItem);
          const version = vf.string(v, "version");
          const sha256 = vf.string(v, "sha256");
          const cardSha = vf.string(v, "card_sha256");
          const status = vf.string(v, "status", "active");
          vf.check(
            status === "active" || status === "deprecated",
            'must be "active" or "deprecated"',
            "status",
          );
          asGenesis(vf.path, () => {
            checkVersion(version);
            checkSha256(sha256, "sha256");
            checkSha256(cardSha, "card_sha256");
          });
          const rec: VersionRecord = {
            model_id: id,
            version,
            sha256,
            card_sha256: cardSha,
            uri: vf.string(v, "uri", ""),
            size_bytes: decimal(vf, v, "size_bytes"),
            status: status as VersionRecord["status"],
            published_at_ms: decimal(vf, v, "published_at_ms"),
          };
          if (status === "deprecated") {
            rec.deprecated_at_ms = decimal(vf, v, "deprecated_at_ms");
            rec.deprecation_reason = vf.string(v, "deprecation_reason", "");
          }
          return rec;
        });
        f.check(
          new Set(versions.map((v) => v.version)).size === versions.length,
          "repeats a version",
          "versions",
        );
        const latest =
          m.latest_version === undefined ? versions.at(-1)?.version : f.string(m, "latest_version");
        f.check(
          latest === undefined || versions.some((v) => v.version === latest),
          "names no listed version",
          "latest_version",
        );
        return {
          id,
          owner,
          task,
          modalities,
          description,
          ...(price ? { price_per_task: price } : {}),
          ...(latest !== undefined ? { latest_version: latest } : {}),
          registered_at_ms: decimal(f, m, "registered_at_ms"),
          versions,
        };
      });
      return { models };
    },

    initGenesis(ctx, genesis) {
      // A genesis file written before this module existed has no section for it.
      for (const { versions, ...model } of genesis?.models ?? []) {
        keeper.setModel(ctx.kv, model);
        for (const v of versions) keeper.setVersion(ctx.kv, v);
      }
    },

    exportGenesis(ctx) {
      return {
        models: keeper.models(ctx.kv).map((m) => ({ ...m, versions: keeper.versions(ctx.kv, m.id) })),
      };
    },
  };
}
