import { BttError } from "@btt/core";
import { CommittedStore, type KVStore } from "./store.ts";

const PARAMS_KEY = Buffer.from("params", "utf8");

/**
 * A module's parameters, stored as canonical JSON (sorted keys) under `<module>/params`,
 * so governance can change them by proposal and every node stores the same bytes.
 */
export class ParamsStore<P> {
  private cached?: { bytes: Uint8Array; params: P };
  private seen?: { store: CommittedStore; generation: number; params: P };
  private key?: Uint8Array;

  constructor(
    private readonly moduleName: string,
    private readonly validate: (raw: unknown) => P,
  ) {}

  get(store: KVStore): P {
    return this.parse(store.get(PARAMS_KEY));
  }

  /**
   * The parameters read from the whole state (not a module view): hot paths such as access
   * decisions call this, and between commits a committed store's answer is reused as is.
   */
  read(kv: KVStore): P {
    const seen = this.seen;
    if (seen && kv instanceof CommittedStore && seen.store === kv && seen.generation === kv.generation) {
      return seen.params;
    }
    const params = this.parse(kv.get(this.fullKey));
    if (kv instanceof CommittedStore) this.seen = { store: kv, generation: kv.generation, params };
    return params;
  }

  private get fullKey(): Uint8Array {
    this.key ??= Buffer.from(`${this.moduleName}/params`, "utf8");
    return this.key;
  }

  private parse(bytes: Uint8Array | undefined): P {
    if (!bytes) throw new BttError("INVALID_PARAMS", `${this.moduleName} parameters are not set`);
    // Parameters are read by every transaction; parsing the same bytes again is wasted work.
    // The committed store hands back the same array until the next commit: compare it first.
    if (this.cached && (this.cached.bytes === bytes || Buffer.compare(this.cached.bytes, bytes) === 0)) {
      return this.cached.params;
    }
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
