import { BttError } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context, TxContext } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import type { ValidityQuery } from "../identity/keeper.ts";
import type { CredentialType } from "../identity/types.ts";
import {
  consensusKey,
  consensusPrefix,
  modelKey,
  modelPrefix,
  verdictKey,
  verdictPrefix,
  versionKey,
  versionPrefix,
} from "./keys.ts";
import type { AiParamsStore } from "./params.ts";
import type { ConsensusRecord, ModelRecord, VerdictRecord, VersionRecord } from "./types.ts";

/** What the ai module asks the identity module: is the sender a licensed practitioner now? */
export interface IdentityKeeperForAi {
  hasValidCredential(kv: KVStore, subject: string, type: CredentialType, q: ValidityQuery): boolean;
}

/** The credential a clinician needs to confirm or reject a finding. */
export const CONFIRMER_CREDENTIAL: CredentialType = "practitioner_licence";

export const AI = "ai";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const encode = (v: unknown) => utf8.encode(JSON.stringify(v));
const decode = <T>(b: Uint8Array): T => JSON.parse(utf8Decoder.decode(b)) as T;

/** The model registry: who owns which model, and which file hash each version is pinned to. */
export class AiKeeper {
  constructor(
    readonly params: AiParamsStore,
    private readonly identity?: IdentityKeeperForAi,
  ) {}

  model(kv: KVStore, id: string): ModelRecord | undefined {
    const raw = kv.get(modelKey(id));
    return raw ? decode<ModelRecord>(raw) : undefined;
  }

  requireModel(kv: KVStore, id: string): ModelRecord {
    const m = this.model(kv, id);
    if (!m) throw new BttError("NOT_FOUND", `no model "${id}"`, { model_id: id });
    return m;
  }

  models(kv: KVStore): ModelRecord[] {
    return [...kv.iterate(modelPrefix())].map(([, v]) => decode<ModelRecord>(v));
  }

  version(kv: KVStore, id: string, version: string): VersionRecord | undefined {
    const raw = kv.get(versionKey(id, version));
    return raw ? decode<VersionRecord>(raw) : undefined;
  }

  requireVersion(kv: KVStore, id: string, version: string): VersionRecord {
    const v = this.version(kv, id, version);
    if (!v)
      throw new BttError("NOT_FOUND", `model "${id}" has no version "${version}"`, { model_id: id, version });
    return v;
  }

  /** Versions in key (byte) order. */
  versions(kv: KVStore, id: string): VersionRecord[] {
    return [...kv.iterate(versionPrefix(id))].map(([, v]) => decode<VersionRecord>(v));
  }

  /**
   * The version a worker should load: the named one (any status: old results stay verifiable),
   * or else the active version published last (ties broken by version order).
   */
  resolve(kv: KVStore, id: string, version?: string): VersionRecord {
    this.requireModel(kv, id);
    if (version) return this.requireVersion(kv, id, version);
    let best: VersionRecord | undefined;
    for (const v of this.versions(kv, id)) {
      if (v.status !== "active") continue;
      if (!best || BigInt(v.published_at_ms) >= BigInt(best.published_at_ms)) best = v;
    }
    if (!best) throw new BttError("NOT_FOUND", `model "${id}" has no active version`, { model_id: id });
    return best;
  }

  setModel(kv: KVStore, m: ModelRecord): void {
    kv.set(modelKey(m.id), encode(m));
  }

  setVersion(kv: KVStore, v: VersionRecord): void {
    kv.set(versionKey(v.model_id, v.version), encode(v));
  }

  register(ctx: Context, m: ModelRecord): void {
    if (this.model(ctx.kv, m.id))
      throw new BttError("CONFLICT", `model "${m.id}" is already registered`, { model_id: m.id });
    this.setModel(ctx.kv, m);
    ctx.emit(ledgerEvent("ai/model_registered", { model_id: m.id, owner: m.owner, task: m.task }));
  }

  private requireOwner(kv: KVStore, id: string, sender: string): ModelRecord {
    const m = this.requireModel(kv, id);
    if (m.owner !== sender) {
      throw new BttError("UNAUTHORIZED", `${sender} does not own model "${id}"`, {
        model_id: id,
        owner: m.owner,
      });
    }
    return m;
  }

  publish(ctx: Context, sender: string, v: Omit<VersionRecord, "status" | "published_at_ms">): VersionRecord {
    const m = this.requireOwner(ctx.kv, v.model_id, sender);
    if (this.version(ctx.kv, v.model_id, v.version)) {
      throw new BttError("CONFLICT", `model "${v.model_id}" already has version "${v.version}"`, v);
    }
    const record: VersionRecord = { ...v, status: "active", published_at_ms: ctx.block.timeMs.toString() };
    this.setVersion(ctx.kv, record);
    this.setModel(ctx.kv, { ...m, latest_version: v.version });
    ctx.emit(
      ledgerEvent("ai/version_published", {
        model_id: v.model_id,
        version: v.version,
        sha256: v.sha256,
        owner: sender,
      }),
    );
    return record;
  }

  deprecate(ctx: Context, sender: string, id: string, version: string, reason: string): void {
    this.requireOwner(ctx.kv, id, sender);
    const v = this.requireVersion(ctx.kv, id, version);
    if (v.status === "deprecated") {
      throw new BttError("CONFLICT", `version "${version}" of model "${id}" is already deprecated`, {
        model_id: id,
        version,
      });
    }
    this.setVersion(ctx.kv, {
      ...v,
      status: "deprecated",
      deprecated_at_ms: ctx.block.timeMs.toString(),
      deprecation_reason: reason,
    });
    ctx.emit(ledgerEvent("ai/version_deprecated", { model_id: id, version, owner: sender, reason }));
  }

  /** Clinicians' verdicts on a model version's findings (zero counts when none yet). */
  consensus(kv: KVStore, id: string, version: string): ConsensusRecord {
    const raw = kv.get(consensusKey(id, version));
    return raw ? decode<ConsensusRecord>(raw) : { model_id: id, version, confirmed: "0", reviewed: "0" };
  }

  consensusRecords(kv: KVStore): ConsensusRecord[] {
    return [...kv.iterate(consensusPrefix())].map(([, v]) => decode<ConsensusRecord>(v));
  }

  verdict(kv: KVStore, reportId: string, index: number): VerdictRecord | undefined {
    const raw = kv.get(verdictKey(reportId, index));
    return raw ? decode<VerdictRecord>(raw) : undefined;
  }

  verdicts(kv: KVStore): VerdictRecord[] {
    return [...kv.iterate(verdictPrefix())].map(([, v]) => decode<VerdictRecord>(v));
  }

  setConsensus(kv: KVStore, c: ConsensusRecord): void {
    kv.set(consensusKey(c.model_id, c.version), encode(c));
  }

  setVerdict(kv: KVStore, v: VerdictRecord): void {
    kv.set(verdictKey(v.report_id, v.finding_index), encode(v));
  }

  /**
   * A licensed practitioner's verdict on one finding: counted once per (report, finding) against
   * the model version that produced it, so P_consensus = (confirmed + 1) / (reviewed + 2).
   */
  confirmFinding(
    ctx: TxContext,
    v: Omit<VerdictRecord, "confirmer" | "at_ms">,
  ): { verdict: VerdictRecord; consensus: ConsensusRecord } {
    if (!this.identity) throw new BttError("INTERNAL", "the ai module was built without the identity keeper");
    if (
      !this.identity.hasValidCredential(ctx.kv, ctx.sender, CONFIRMER_CREDENTIAL, { atMs: ctx.block.timeMs })
    ) {
      throw new BttError(
        "UNAUTHORIZED",
        `${ctx.sender} holds no valid ${CONFIRMER_CREDENTIAL} credential: only licensed practitioners confirm findings`,
        { sender: ctx.sender, credential: CONFIRMER_CREDENTIAL },
      );
    }
    this.requireVersion(ctx.kv, v.model_id, v.model_version);
    const earlier = this.verdict(ctx.kv, v.report_id, v.finding_index);
    if (earlier) {
      throw new BttError(
        "CONFLICT",
        `finding ${v.finding_index} of report "${v.report_id}" already has a verdict (by ${earlier.confirmer})`,
        { report_id: v.report_id, finding_index: v.finding_index },
      );
    }
    const verdict: VerdictRecord = { ...v, confirmer: ctx.sender, at_ms: ctx.block.timeMs.toString() };
    const c = this.consensus(ctx.kv, v.model_id, v.model_version);
    const consensus: ConsensusRecord = {
      ...c,
      confirmed: (BigInt(c.confirmed) + (v.confirmed ? 1n : 0n)).toString(),
      reviewed: (BigInt(c.reviewed) + 1n).toString(),
    };
    this.setVerdict(ctx.kv, verdict);
    this.setConsensus(ctx.kv, consensus);
    ctx.emit(
      ledgerEvent("ai/finding_reviewed", {
        report_id: v.report_id,
        finding_index: String(v.finding_index),
        confirmed: String(v.confirmed),
        model_id: v.model_id,
        version: v.model_version,
        confirmer: ctx.sender,
      }),
    );
    return { verdict, consensus };
  }
}
