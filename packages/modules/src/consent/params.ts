import { JsonFields } from "../framework/fields.ts";
import { ParamsStore } from "../framework/params.ts";
import { type KVStore, PrefixStore } from "../framework/store.ts";
import { type CredentialType, isCredentialType } from "../identity/types.ts";
import { isPurpose, PURPOSES, type Purpose } from "./types.ts";

export const CONSENT = "consent";

export interface ConsentParams {
  /** Per purpose, the credential types a grantee must hold (one of) to use consented data. */
  granteeTypes: ReadonlyMap<Purpose, readonly CredentialType[]>;
  /** Credential types that may break the glass (emergency access without consent). */
  emergencyTypes: readonly CredentialType[];
  maxGrantsPerPair: number;
  maxRecordIds: number;
}

export const DEFAULT_CONSENT_PARAMS = {
  grantee_types: {
    insurance: ["insurer"],
    payment: ["clinic_licence", "insurer"],
    research: ["clinic_licence"],
    treatment: ["clinic_licence", "practitioner_licence"],
  },
  emergency_types: ["practitioner_licence"],
  max_grants_per_pair: 16,
  max_record_ids: 64,
};

function validateConsentParams(raw: unknown): ConsentParams {
  const f = new JsonFields("INVALID_PARAMS", "consent.params");
  const o = f.object(raw);
  const types = (ff: JsonFields, oo: Record<string, unknown>, field: string) =>
    ff.array(oo, field).map((t, i) => {
      ff.check(typeof t === "string" && isCredentialType(t), "must be a credential type", `${field}[${i}]`);
      return t as CredentialType;
    });
  const gf = f.at("grantee_types");
  const go = gf.object(o.grantee_types);
  const granteeTypes = new Map<Purpose, CredentialType[]>();
  for (const purpose of Object.keys(go)) gf.check(isPurpose(purpose), `"${purpose}" is not a purpose`);
  for (const purpose of PURPOSES) granteeTypes.set(purpose, types(gf, go, purpose));
  return {
    granteeTypes,
    emergencyTypes: types(f, o, "emergency_types"),
    maxGrantsPerPair: f.integer(o, "max_grants_per_pair", 1, 256),
    maxRecordIds: f.integer(o, "max_record_ids", 0, 1024),
  };
}

export class ConsentParamsStore {
  private readonly store = new ParamsStore(CONSENT, validateConsentParams);
  validate(raw: unknown): ConsentParams {
    return validateConsentParams(raw);
  }
  read(kv: KVStore): ConsentParams {
    return this.store.read(kv);
  }
  raw(kv: KVStore): unknown {
    return this.store.raw(new PrefixStore(kv, CONSENT));
  }
  write(kv: KVStore, raw: unknown): ConsentParams {
    return this.store.set(new PrefixStore(kv, CONSENT), raw);
  }
}
