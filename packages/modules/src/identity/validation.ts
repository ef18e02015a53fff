import { type Attribute, BttError } from "@btt/core";
import { isJurisdiction } from "../framework/jurisdictions.ts";
import { type CredentialType, KYC_LEVEL_ATTRIBUTE } from "./types.ts";

export const MAX_ATTRIBUTES = 16;
export const ATTRIBUTE_KEY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;
export const MAX_ATTRIBUTE_VALUE = 256;
export const MAX_REASON = 256;

export function requireJurisdiction(code: string, field = "jurisdiction"): string {
  if (!isJurisdiction(code)) {
    throw new BttError("INVALID_MESSAGE", `${field} "${code}" is not an ISO 3166-1 alpha-2 country code`, {
      field,
      jurisdiction: code,
    });
  }
  return code;
}

/** Checks attributes (sorted by key, each key once, bounded) and returns them as a map. */
export function parseAttributes(
  type: CredentialType,
  attributes: readonly Attribute[],
): Record<string, string> {
  if (attributes.length > MAX_ATTRIBUTES) {
    throw new BttError("INVALID_MESSAGE", `a credential has at most ${MAX_ATTRIBUTES} attributes`);
  }
  const out: Record<string, string> = {};
  let previous = "";
  for (const [i, { key, value }] of attributes.entries()) {
    if (!ATTRIBUTE_KEY_PATTERN.test(key)) {
      throw new BttError(
        "INVALID_MESSAGE",
        `attributes[${i}].key "${key}" must match ${ATTRIBUTE_KEY_PATTERN.source}`,
      );
    }
    if (i > 0 && key <= previous) {
      throw new BttError(
        "INVALID_MESSAGE",
        "attributes must be sorted by key, each key once (canonical order)",
        {
          field: `attributes[${i}].key`,
        },
      );
    }
    if (value.length > MAX_ATTRIBUTE_VALUE) {
      throw new BttError("INVALID_MESSAGE", `attributes[${i}].value is longer than ${MAX_ATTRIBUTE_VALUE}`);
    }
    previous = key;
    out[key] = value;
  }
  if (type === "kyc" && !/^[123]$/.test(out[KYC_LEVEL_ATTRIBUTE] ?? "")) {
    throw new BttError(
      "INVALID_MESSAGE",
      `a kyc credential needs attribute "${KYC_LEVEL_ATTRIBUTE}" of 1, 2 or 3`,
      {
        field: "attributes",
      },
    );
  }
  return out;
}

export function requireReason(reason: string): void {
  if (reason.length > MAX_REASON)
    throw new BttError("INVALID_MESSAGE", `reason is longer than ${MAX_REASON}`);
}
