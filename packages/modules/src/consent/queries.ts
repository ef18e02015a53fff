import { addressBytes } from "@btt/core";
import type { QueryType } from "../framework/module.ts";
import { decimalParam, queryState, requiredParam } from "../identity/queries.ts";
import { emergencyJson, grantJson } from "./codec.ts";
import type { ConsentKeeper } from "./keeper.ts";
import { CONSENT } from "./params.ts";
import type { AccessDecision } from "./types.ts";
import { requireDataClass, requirePurpose, requireRecordId } from "./validation.ts";

export function decisionJson(d: AccessDecision): Record<string, unknown> {
  return d.allowed
    ? {
        allowed: true,
        rule: d.rule,
        ...(d.consentId === undefined ? {} : { consent_id: d.consentId.toString() }),
      }
    : { allowed: false, reason: { ...d.reason } };
}

export function consentQueries(keeper: ConsentKeeper): QueryType[] {
  return [
    {
      name: "consents",
      description: "Every consent grant a patient has given, revoked ones included: {patient}",
      handle(ctx, p) {
        const patient = requiredParam(p, "patient");
        addressBytes(patient, "patient");
        const atMs = ctx.timeMs ?? 0n;
        return {
          patient,
          grants: keeper.grantsOf(ctx.kv, patient).map((g) => ({
            ...grantJson(g),
            active: g.revokedAtMs === undefined && g.expiresAtMs > atMs,
          })),
        };
      },
    },
    {
      name: "decide",
      description:
        "Dry run of the access decision: {grantee, patient, data_class, purpose, record_id?, height?}",
      handle(ctx, p) {
        const grantee = requiredParam(p, "grantee");
        addressBytes(grantee, "grantee");
        const patient = requiredParam(p, "patient");
        addressBytes(patient, "patient");
        const dataClass = requireDataClass(requiredParam(p, "data_class"));
        const purpose = requirePurpose(requiredParam(p, "purpose"));
        const recordId = p.record_id ? requireRecordId(p.record_id) : undefined;
        const state = queryState(ctx, decimalParam(p, "height"));
        const d = keeper.accessDecision(state.kv, {
          grantee,
          patient,
          dataClass,
          purpose,
          ...(recordId === undefined ? {} : { recordId }),
          atMs: state.timeMs,
        });
        return { ...decisionJson(d), height: state.height.toString(), at_ms: state.timeMs.toString() };
      },
    },
    {
      name: "emergency",
      description: "Break-glass accesses to a patient's data: {patient}",
      handle(ctx, p) {
        const patient = requiredParam(p, "patient");
        addressBytes(patient, "patient");
        return { patient, accesses: keeper.emergencyAccesses(ctx.kv, patient).map(emergencyJson) };
      },
    },
    {
      name: "params",
      description: `The ${CONSENT} module's parameters`,
      handle: (ctx) => keeper.params.raw(ctx.kv),
    },
  ];
}
