import { BttError } from "@btt/core";
import { type DataClass, isDataClass } from "../compliance/rules.ts";
import { ledgerEvent } from "../framework/events.ts";
import { CommittedMemo } from "../framework/memo.ts";
import type { Context } from "../framework/module.ts";
import type { KVStore } from "../framework/store.ts";
import { decodeIds, encodeIds, readU64, u64 } from "../identity/keys.ts";
import { decodeEmergency, decodeGrant, encodeEmergency, encodeGrant } from "./codec.ts";
import type { ComplianceKeeperForConsent, IdentityKeeperForConsent } from "./expected-keepers.ts";
import {
  ALL_GRANTS_PREFIX,
  emergencyKey,
  emergencyPrefix,
  grantKey,
  historyKey,
  historyPrefix,
  NEXT_ID_KEY,
  pairKey,
} from "./keys.ts";
import type { ConsentParamsStore } from "./params.ts";
import {
  type AccessDecision,
  type AccessDenialCode,
  type AccessRequest,
  type ConsentGrant,
  type EmergencyAccess,
  isPurpose,
  type Purpose,
} from "./types.ts";

export interface GrantDraft {
  grantee: string;
  dataClasses: DataClass[];
  purpose: Purpose;
  recordIds: string[];
  expiresAtMs: bigint;
}

const deny = (code: AccessDenialCode, rule: string, detail: string): AccessDecision => ({
  allowed: false,
  reason: { code, rule, detail },
});

/** Consent grants, break-glass records, and the access decision (a pure function of state). */
export class ConsentKeeper {
  private readonly memo = new CommittedMemo<readonly ConsentGrant[]>();

  constructor(
    readonly params: ConsentParamsStore,
    private readonly identity: IdentityKeeperForConsent,
    private readonly compliance: ComplianceKeeperForConsent,
  ) {}

  grant(kv: KVStore, id: bigint): ConsentGrant | undefined {
    const bytes = kv.get(grantKey(id));
    return bytes ? decodeGrant(bytes) : undefined;
  }

  /** The grants a patient has given one grantee that are not revoked (expired ones until pruned). */
  activeGrants(kv: KVStore, patient: string, grantee: string): readonly ConsentGrant[] {
    return this.memo.get(kv, patient, grantee, () => {
      const out: ConsentGrant[] = [];
      for (const id of decodeIds(kv.get(pairKey(patient, grantee)))) {
        const bytes = kv.get(grantKey(id));
        if (bytes) out.push(decodeGrant(bytes));
      }
      return out;
    });
  }

  /** Every grant a patient has given, revoked ones included, in id order. */
  grantsOf(kv: KVStore, patient: string): ConsentGrant[] {
    const out: ConsentGrant[] = [];
    for (const [key] of kv.iterate(historyPrefix(patient))) {
      const g = this.grant(kv, readU64(key, key.length - 8));
      if (g) out.push(g);
    }
    return out;
  }

  *allGrants(kv: KVStore): Iterable<ConsentGrant> {
    for (const [, bytes] of kv.iterate(ALL_GRANTS_PREFIX)) yield decodeGrant(bytes);
  }

  emergencyAccesses(kv: KVStore, patient: string): EmergencyAccess[] {
    return [...kv.iterate(emergencyPrefix(patient))].map(([, v]) => decodeEmergency(v));
  }

  nextId(kv: KVStore): bigint {
    const bytes = kv.get(NEXT_ID_KEY);
    return bytes ? readU64(bytes) : 1n;
  }

  private takeId(kv: KVStore): bigint {
    const id = this.nextId(kv);
    kv.set(NEXT_ID_KEY, u64(id + 1n));
    return id;
  }

  give(ctx: Context, patient: string, draft: GrantDraft): ConsentGrant {
    const now = ctx.block.timeMs;
    if (!this.identity.hasValidCredential(ctx.kv, patient, "patient", { atMs: now })) {
      throw new BttError(
        "UNAUTHORIZED",
        `${patient} holds no valid patient credential and cannot grant consent`,
        {
          patient,
        },
      );
    }
    if (draft.expiresAtMs <= now) {
      throw new BttError(
        "INVALID_MESSAGE",
        `expires_at_ms ${draft.expiresAtMs} is not after the block time ${now}`,
        {
          field: "expires_at_ms",
        },
      );
    }
    const params = this.params.read(ctx.kv);
    if (draft.recordIds.length > params.maxRecordIds) {
      throw new BttError("INVALID_MESSAGE", `a grant names at most ${params.maxRecordIds} records`);
    }
    const pair = pairKey(patient, draft.grantee);
    const active = this.activeGrants(ctx.kv, patient, draft.grantee)
      .filter((g) => g.expiresAtMs > now)
      .map((g) => g.id);
    if (active.length >= params.maxGrantsPerPair) {
      throw new BttError(
        "CONFLICT",
        `${draft.grantee} already holds ${active.length} grants from ${patient}, the most allowed`,
        {
          limit: params.maxGrantsPerPair,
        },
      );
    }
    const grant: ConsentGrant = { id: this.takeId(ctx.kv), patient, ...draft, grantedAtMs: now };
    this.put(ctx.kv, grant);
    ctx.kv.set(pair, encodeIds([...active, grant.id]));
    ctx.emit(
      ledgerEvent("consent/granted", {
        id: grant.id.toString(),
        patient,
        grantee: draft.grantee,
        purpose: draft.purpose,
        data_classes: draft.dataClasses.join(","),
        expires_at_ms: draft.expiresAtMs.toString(),
      }),
    );
    return grant;
  }

  /** Stores a grant and its place in the patient's history (genesis import and give). */
  put(kv: KVStore, grant: ConsentGrant): void {
    kv.set(grantKey(grant.id), encodeGrant(grant));
    kv.set(historyKey(grant.patient, grant.id), Uint8Array.of(1));
  }

  /** Lists an unrevoked grant as active for its pair (genesis import). */
  activate(kv: KVStore, grant: ConsentGrant): void {
    const pair = pairKey(grant.patient, grant.grantee);
    kv.set(pair, encodeIds([...decodeIds(kv.get(pair)), grant.id]));
  }

  setNextId(kv: KVStore, id: bigint): void {
    kv.set(NEXT_ID_KEY, u64(id));
  }

  revoke(ctx: Context, sender: string, id: bigint): void {
    const grant = this.grant(ctx.kv, id);
    if (!grant) throw new BttError("NOT_FOUND", `no consent grant ${id}`, { id: id.toString() });
    if (grant.patient !== sender) {
      throw new BttError("UNAUTHORIZED", `only the patient ${grant.patient} may revoke grant ${id}`, {
        id: id.toString(),
      });
    }
    if (grant.revokedAtMs !== undefined) {
      throw new BttError("CONFLICT", `consent grant ${id} is already revoked`, { id: id.toString() });
    }
    ctx.kv.set(grantKey(id), encodeGrant({ ...grant, revokedAtMs: ctx.block.timeMs }));
    const pair = pairKey(grant.patient, grant.grantee);
    const rest = decodeIds(ctx.kv.get(pair)).filter((x) => x !== id);
    if (rest.length > 0) ctx.kv.set(pair, encodeIds(rest));
    else ctx.kv.delete(pair);
    ctx.emit(
      ledgerEvent("consent/revoked", { id: id.toString(), patient: grant.patient, grantee: grant.grantee }),
    );
  }

  /**
   * May `grantee` use `patient`'s data of `dataClass` for `purpose` (and `recordId`) at `atMs`?
   * A pure function of chain state, checked in this order: the patient's identity, the
   * grantee's licence for the purpose, a consent grant covering the request, and the residency
   * rules between the patient's jurisdiction and the grantee's. The patient may always use
   * their own data.
   */
  accessDecision(kv: KVStore, r: AccessRequest): AccessDecision {
    if (!isDataClass(r.dataClass))
      return deny("UNKNOWN_DATA_CLASS", "data_classes", `"${r.dataClass}" is not a data class`);
    if (!isPurpose(r.purpose)) return deny("UNKNOWN_PURPOSE", "purposes", `"${r.purpose}" is not a purpose`);
    const at = { atMs: r.atMs };
    const patientCredential = this.identity.validCredentials(kv, r.patient, "patient", at)[0];
    if (!patientCredential) {
      return deny(
        "PATIENT_NOT_VERIFIED",
        "identity.patient",
        `${r.patient} holds no valid patient credential`,
      );
    }
    if (r.grantee === r.patient) return { allowed: true, rule: "owner" };

    const params = this.params.read(kv);
    const types = params.granteeTypes.get(r.purpose) ?? [];
    const jurisdictions: string[] = [];
    for (const type of types) {
      for (const c of this.identity.validCredentials(kv, r.grantee, type, at)) {
        if (!jurisdictions.includes(c.jurisdiction)) jurisdictions.push(c.jurisdiction);
      }
    }
    if (jurisdictions.length === 0) {
      return deny(
        "GRANTEE_NOT_LICENSED",
        `consent.grantee_types.${r.purpose}`,
        `${r.grantee} holds no valid ${types.join(" or ")} credential for ${r.purpose}`,
      );
    }

    const consent = this.coveringGrant(kv, r);
    if (!consent.allowed) return consent;

    jurisdictions.sort();
    let firstDenial: AccessDecision | undefined;
    for (const destination of jurisdictions) {
      const d = this.compliance.decide(kv, {
        kind: "data",
        dataClass: r.dataClass,
        origin: patientCredential.jurisdiction,
        destination,
      });
      if (d.allowed) return { allowed: true, rule: d.rule, consentId: consent.consentId! };
      firstDenial ??= { allowed: false, reason: d.reason };
    }
    return firstDenial!;
  }

  /** The first active grant (in id order) that covers the request, or the nearest miss's reason. */
  private coveringGrant(kv: KVStore, r: AccessRequest): AccessDecision {
    const grants = this.activeGrants(kv, r.patient, r.grantee);
    if (grants.length === 0)
      return deny("NO_CONSENT", "consent", `${r.patient} has given ${r.grantee} no consent`);
    // How far each grant gets: purpose (1), data class (2), record (3), unexpired (4).
    let best = 0;
    for (const g of grants) {
      if (g.purpose !== r.purpose) continue;
      if (best < 1) best = 1;
      if (!g.dataClasses.includes(r.dataClass as DataClass)) continue;
      if (best < 2) best = 2;
      if (g.recordIds.length > 0 && (r.recordId === undefined || !g.recordIds.includes(r.recordId))) continue;
      if (best < 3) best = 3;
      if (g.expiresAtMs <= r.atMs) continue;
      return { allowed: true, rule: `consent.${g.id}`, consentId: g.id };
    }
    const what = `${r.dataClass} data for ${r.purpose}${r.recordId ? ` (record ${r.recordId})` : ""}`;
    if (best === 0)
      return deny("CONSENT_PURPOSE", "consent.purpose", `no grant to ${r.grantee} is for ${r.purpose}`);
    if (best === 1) return deny("CONSENT_DATA_CLASS", "consent.data_classes", `no grant covers ${what}`);
    if (best === 2) return deny("CONSENT_RECORD", "consent.record_ids", `no grant covers ${what}`);
    return deny("CONSENT_EXPIRED", "consent.expires_at_ms", `every grant covering ${what} has expired`);
  }

  /** Records a break-glass access if the sender holds an emergency credential; returns whether it was. */
  emergencyAccess(
    ctx: Context,
    practitioner: string,
    patient: string,
    dataClass: DataClass,
    recordId: string,
    reason: string,
  ): boolean {
    const now = ctx.block.timeMs;
    const types = this.params.read(ctx.kv).emergencyTypes;
    const licensed = types.some((t) =>
      this.identity.hasValidCredential(ctx.kv, practitioner, t, { atMs: now }),
    );
    if (!licensed) {
      ctx.emit(
        ledgerEvent("consent/access_refused", {
          grantee: practitioner,
          patient,
          data_class: dataClass,
          purpose: "emergency",
          record_id: recordId,
          code: "GRANTEE_NOT_LICENSED",
          rule: "consent.emergency_types",
          detail: `${practitioner} holds no valid ${types.join(" or ")} credential`,
        }),
      );
      return false;
    }
    const access: EmergencyAccess = {
      id: this.takeId(ctx.kv),
      patient,
      practitioner,
      dataClass,
      recordId,
      reason,
      atMs: now,
      height: ctx.block.height,
    };
    ctx.kv.set(emergencyKey(patient, access.id), encodeEmergency(access));
    ctx.emit(
      ledgerEvent("consent/emergency_access", {
        id: access.id.toString(),
        grantee: practitioner,
        patient,
        data_class: dataClass,
        record_id: recordId,
        reason,
      }),
    );
    return true;
  }
}
