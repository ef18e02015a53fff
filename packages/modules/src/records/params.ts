import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";

export const RECORDS = "records";

export interface RecordsParams {
  /** Most wrapped keys (recipients) a record may carry. */
  maxRecipients: number;
}

export const DEFAULT_RECORDS_PARAMS = { max_recipients: 32 };

function validateRecordsParams(raw: unknown): RecordsParams {
  const f = new JsonFields("INVALID_PARAMS", "records.params");
  const o = f.object(raw);
  return { maxRecipients: f.integer(o, "max_recipients", 1, 256) };
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
