import { BttError } from "@btt/core";
import { ledgerEvent } from "../framework/events.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import { modelKey, modelPrefix, versionKey, versionPrefix } from "./keys.ts";
import type { ModelRecord, VersionRecord } from "./types.ts";

export const AI = "ai";

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const encode = (v: unknown) => utf8.encode(JSON.stringify(v));
const decode = <T>(b: Uint8Array): T => JSON.parse(utf8Decoder.decode(b)) as T;

/** The model registry: who owns which model, and which file hash each version is pinned to. */
export class AiKeeper {
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
}
