import { BttError } from "@btt/core";
import { type DataClass, isDataClass } from "../compliance/rules.ts";
import { isPurpose, type Purpose, RECORD_ID_PATTERN } from "./types.ts";

export function requireDataClass(c: string, field = "data_class"): DataClass {
  if (!isDataClass(c))
    throw new BttError("INVALID_MESSAGE", `${field} "${c}" is not a data class`, { field });
  return c;
}

export function requirePurpose(p: string, field = "purpose"): Purpose {
  if (!isPurpose(p)) throw new BttError("INVALID_MESSAGE", `${field} "${p}" is not a purpose`, { field });
  return p;
}

export function requireRecordId(id: string, field = "record_id"): string {
  if (!RECORD_ID_PATTERN.test(id)) {
    throw new BttError("INVALID_MESSAGE", `${field} must match ${RECORD_ID_PATTERN.source}`, { field });
  }
  return id;
}

/** A list that must be non-empty (unless `allowEmpty`), sorted and without repeats. */
export function requireSortedUnique(list: readonly string[], field: string, allowEmpty: boolean): void {
  if (!allowEmpty && list.length === 0)
    throw new BttError("INVALID_MESSAGE", `${field} must not be empty`, { field });
  for (let i = 1; i < list.length; i++) {
    if (list[i]! <= list[i - 1]!) {
      throw new BttError("INVALID_MESSAGE", `${field} must be sorted, each once`, { field });
    }
  }
}
