import { addressBytes, BttError, parseAmount } from "@btt/core";
import { validateDenom } from "../bank/denoms.ts";
import { JsonFields } from "../framework/fields.ts";
import type { ModuleGenesis } from "../framework/module.ts";
import type { AiKeeper } from "./keeper.ts";
import { DEFAULT_AI_PARAMS } from "./params.ts";
import {
  type ConsensusRecord,
  checkFindingIndex,
  checkModalities,
  checkModelId,
  checkReportId,
  checkSha256,
  checkTask,
  checkText,
  checkVersion,
  type ModelRecord,
  type VerdictRecord,
  type VersionRecord,
} from "./types.ts";

/** The ai section of a genesis file: parameters, models with their versions, clinicians' verdicts. */
export interface AiGenesis {
  params?: unknown;
  models: Array<ModelRecord & { versions: VersionRecord[] }>;
  consensus?: ConsensusRecord[];
  verdicts?: VerdictRecord[];
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
    defaultGenesis: () => ({ params: DEFAULT_AI_PARAMS, models: [], consensus: [], verdicts: [] }),

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
      const params = obj.params ?? DEFAULT_AI_PARAMS;
      keeper.params.validate(params);
      const versionsOf = new Map(models.map((m) => [m.id, new Set(m.versions.map((v) => v.version))]));
      const seenCounts = new Set<string>();
      const consensus = root.array(obj, "consensus", []).map((item, i) => {
        const f = root.at("consensus").at(i);
        const c = f.object(item);
        const model_id = f.string(c, "model_id");
        const version = f.string(c, "version");
        f.check(versionsOf.get(model_id)?.has(version) === true, "names no listed model version", "version");
        f.check(!seenCounts.has(`${model_id}\u0000${version}`), "repeats a model version", "version");
        seenCounts.add(`${model_id}\u0000${version}`);
        const confirmed = decimal(f, c, "confirmed");
        const reviewed = decimal(f, c, "reviewed");
        f.check(BigInt(confirmed) <= BigInt(reviewed), "confirmed must not exceed reviewed", "confirmed");
        return { model_id, version, confirmed, reviewed };
      });
      const seenVerdicts = new Set<string>();
      const verdicts = root.array(obj, "verdicts", []).map((item, i) => {
        const f = root.at("verdicts").at(i);
        const v = f.object(item);
        const report_id = f.string(v, "report_id");
        const finding_index = f.integer(v, "finding_index", 0, 4095);
        f.check(typeof v.confirmed === "boolean", "must be true or false", "confirmed");
        const model_id = f.string(v, "model_id");
        const model_version = f.string(v, "model_version");
        const confirmer = f.string(v, "confirmer");
        asGenesis(f.path, () => {
          checkReportId(report_id);
          checkFindingIndex(finding_index);
          addressBytes(confirmer, "confirmer");
        });
        f.check(
          !seenVerdicts.has(`${report_id}\u0000${finding_index}`),
          "repeats a finding",
          "finding_index",
        );
        seenVerdicts.add(`${report_id}\u0000${finding_index}`);
        return {
          report_id,
          finding_index,
          confirmed: v.confirmed as boolean,
          model_id,
          model_version,
          confirmer,
          at_ms: decimal(f, v, "at_ms"),
        };
      });
      return { params, models, consensus, verdicts };
    },

    initGenesis(ctx, genesis) {
      // A genesis file written before this module existed has no section for it.
      keeper.params.write(ctx.kv, genesis?.params ?? DEFAULT_AI_PARAMS);
      for (const { versions, ...model } of genesis?.models ?? []) {
        keeper.setModel(ctx.kv, model);
        for (const v of versions) keeper.setVersion(ctx.kv, v);
      }
      for (const c of genesis?.consensus ?? []) keeper.setConsensus(ctx.kv, c);
      for (const v of genesis?.verdicts ?? []) keeper.setVerdict(ctx.kv, v);
    },

    exportGenesis(ctx) {
      return {
        params: keeper.params.raw(ctx.kv) ?? DEFAULT_AI_PARAMS,
        models: keeper.models(ctx.kv).map((m) => ({ ...m, versions: keeper.versions(ctx.kv, m.id) })),
        consensus: keeper.consensusRecords(ctx.kv),
        verdicts: keeper.verdicts(ctx.kv),
      };
    },
  };
}
