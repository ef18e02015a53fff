import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export const RECORDS = "records";

export interface RecordsParams {
  /** Most wrapped keys (recipients) a record may carry. */
  maxRecipients: number;
  /** Largest private payment ciphertext (encrypted salt ‖ details ‖ tag), in bytes. */
  maxPrivateCiphertextBytes: number;
}

export const DEFAULT_RECORDS_PARAMS = { max_recipients: 32 };
/** Absent from older parameters, so it has a default rather than a required field. */
export const DEFAULT_MAX_PRIVATE_CIPHERTEXT_BYTES = 16_384;

function validateRecordsParams(raw: unknown): RecordsParams {
  const f = new JsonFields("INVALID_PARAMS", "records.params");
  const o = f.object(raw);
  return {
    maxRecipients: f.integer(o, "max_recipients", 1, 256),
    maxPrivateCiphertextBytes: f.integer(
      o,
      "max_private_ciphertext_bytes",
      64,
      1 << 20,
      DEFAULT_MAX_PRIVATE_CIPHERTEXT_BYTES,
    ),
  };
}

export class RecordsParamsStore {
  private readonly store = new ParamsStore(RECORDS, validateRecordsParams);
  validate(raw: unknown): RecordsParams {
    return validateRecordsParams(raw);
  }
  read(kv: KVStore): RecordsParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, RECORDS));
  }
  write(kv: KVStore, raw: unknown): RecordsParams {
    return this.store.set(new PrefixStore(kv, RECORDS), raw);
  }
}
