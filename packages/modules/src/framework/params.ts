import { BttError } from "@btt/core";
import type { KVStore } from "./store.ts";

const PARAMS_KEY = Buffer.from("params", "utf8");

/**
 * A module's parameters, stored as canonical JSON (sorted keys) under `<module>/params`,
 * so governance can change them by proposal and every node stores the same bytes.
 */
export class ParamsStore<P> {
  private cached?: { bytes: Uint8Array; params: P };

  constructor(
    private readonly moduleName: string,
    private readonly validate: (raw: unknown) => P,
  ) {}

  get(store: KVStore): P {
    const bytes = store.get(PARAMS_KEY);
    if (!bytes) throw new BttError("INVALID_PARAMS", `${this.moduleName} parameters are not set`);
    // Parameters are read by every transaction; parsing the same bytes again is wasted work.
    if (this.cached && Buffer.compare(this.cached.bytes, bytes) === 0) return this.cached.params;
    const params = this.validate(JSON.parse(Buffer.from(bytes).toString("utf8")));
    this.cached = { bytes, params };
    return params;
  }

  /** The stored parameters as JSON, for genesis export and queries. */
  raw(store: KVStore): unknown {
    const bytes = store.get(PARAMS_KEY);
    return bytes ? JSON.parse(Buffer.from(bytes).toString("utf8")) : undefined;
  }

  set(store: KVStore, raw: unknown): P {
    const params = this.validate(raw);
    store.set(PARAMS_KEY, Buffer.from(canonicalJson(raw), "utf8"));
    return params;
  }
}

/** JSON with object keys sorted at every level: one text for one value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}
