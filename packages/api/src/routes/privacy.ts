// Identity, consent and compliance: typed routes over the modules' queries (the generic
// /v1/queries/:module/:name serves them too; these document their parameters in OpenAPI).
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { Address, errorResponses, Height } from "../schemas.ts";
import type { ApiContext } from "../server.ts";
import { checkAddress } from "./accounts.ts";

const DataClass = Type.Union(
  ["diagnosis", "identity", "imaging", "payment", "research"].map((c) => Type.Literal(c)),
  { description: "a data class: diagnosis, identity, imaging, payment or research" },
);
const Purpose = Type.Union(
  ["insurance", "payment", "research", "treatment"].map((p) => Type.Literal(p)),
  { description: "a purpose: insurance, payment, research or treatment" },
);
const Jurisdiction = Type.String({
  pattern: "^[A-Z]{2}$",
  description: "an ISO 3166-1 alpha-2 country code",
  examples: ["DE"],
});
const CredentialType = Type.String({
  pattern: "^[a-z][a-z_]{1,31}$",
  description: "a credential type, e.g. patient, clinic_licence, practitioner_licence, kyc",
});

const Json = Type.Record(Type.String(), Type.Unknown());
const Denial = Type.Object({ code: Type.String(), rule: Type.String(), detail: Type.String() });
const AccessDecision = Type.Object(
  {
    allowed: Type.Boolean(),
    rule: Type.Optional(Type.String({ description: "the rule that allowed it" })),
    consent_id: Type.Optional(Type.String()),
    reason: Type.Optional(Denial),
    height: Type.String(),
    at_ms: Type.String(),
  },
  { description: "The access decision: allowed with its rule and grant, or refused with a reason" },
);

const ValidQuery = Type.Object(
  {
    subject: Address,
    type: CredentialType,
    jurisdiction: Type.Optional(Jurisdiction),
    min_kyc_level: Type.Optional(Type.String({ pattern: "^[1-3]$", description: "1, 2 or 3" })),
    height: Type.Optional(Height),
  },
  { additionalProperties: false },
);

const DecideQuery = Type.Object(
  {
    grantee: Address,
    patient: Address,
    data_class: DataClass,
    purpose: Purpose,
    record_id: Type.Optional(
      Type.String({ pattern: "^[A-Za-z0-9._:-]{1,128}$", description: "a record id" }),
    ),
    height: Type.Optional(Height),
  },
  { additionalProperties: false },
);

const ComplianceQuery = Type.Object(
  {
    kind: Type.Union([Type.Literal("data"), Type.Literal("investment")], {
      description: "data or investment",
    }),
    data_class: Type.Optional(Type.String({ maxLength: 64 })),
    origin: Type.Optional(Type.String({ maxLength: 8 })),
    destination: Type.Optional(Type.String({ maxLength: 8 })),
    investor_type: Type.Optional(Type.String({ maxLength: 64 })),
    asset_type: Type.Optional(Type.String({ maxLength: 64 })),
    jurisdiction: Type.Optional(Type.String({ maxLength: 8 })),
  },
  { additionalProperties: false },
);

/** Query-string values as the modules' queries take them: strings, absent ones left out. */
function params(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (v !== undefined) out[k] = String(v);
  return out;
}

export async function privacyRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;

  app.get<{ Params: { address: string } }>(
    "/identity/credentials/:address",
    {
      schema: {
        tags: ["identity"],
        summary: "An account's listed credentials, each with whether it is valid now",
        params: Type.Object({ address: Address }),
        response: { 200: Json, ...errorResponses },
      },
    },
    async (request) => {
      checkAddress(request.params.address);
      return node.query("identity", "credentials", { subject: request.params.address });
    },
  );

  app.get<{ Querystring: Static<typeof ValidQuery> }>(
    "/identity/valid",
    {
      schema: {
        tags: ["identity"],
        summary: "Does an account hold a valid credential of a type (in a jurisdiction) at a height?",
        description: "height: any height in the node's retention window (latest by default).",
        querystring: ValidQuery,
        response: { 200: Json, ...errorResponses },
      },
    },
    async (request) => {
      checkAddress(request.query.subject, "subject");
      return node.query("identity", "valid", params(request.query));
    },
  );

  app.get<{ Params: { patient: string } }>(
    "/consent/grants/:patient",
    {
      schema: {
        tags: ["consent"],
        summary: "Every consent grant a patient has given, revoked ones included",
        params: Type.Object({ patient: Address }),
        response: { 200: Json, ...errorResponses },
      },
    },
    async (request) => {
      checkAddress(request.params.patient, "patient");
      return node.query("consent", "consents", { patient: request.params.patient });
    },
  );

  app.get<{ Params: { patient: string } }>(
    "/consent/emergency/:patient",
    {
      schema: {
        tags: ["consent"],
        summary: "Break-glass accesses to a patient's data",
        params: Type.Object({ patient: Address }),
        response: { 200: Json, ...errorResponses },
      },
    },
    async (request) => {
      checkAddress(request.params.patient, "patient");
      return node.query("consent", "emergency", { patient: request.params.patient });
    },
  );

  app.get<{ Querystring: Static<typeof DecideQuery> }>(
    "/consent/decide",
    {
      schema: {
        tags: ["consent"],
        summary: "Dry run of the access decision (consent + identity + data residency), with its reason",
        querystring: DecideQuery,
        response: { 200: AccessDecision, ...errorResponses },
      },
    },
    async (request) => {
      checkAddress(request.query.grantee, "grantee");
      checkAddress(request.query.patient, "patient");
      return node.query("consent", "decide", params(request.query));
    },
  );

  app.get<{ Querystring: Static<typeof ComplianceQuery> }>(
    "/compliance/decide",
    {
      schema: {
        tags: ["compliance"],
        summary: "Dry run of a compliance decision (data residency or investor eligibility)",
        description:
          "kind=data: data_class, origin, destination. kind=investment: investor_type, asset_type, jurisdiction.",
        querystring: ComplianceQuery,
        response: {
          200: Type.Object({
            allowed: Type.Boolean(),
            rule: Type.Optional(Type.String()),
            reason: Type.Optional(Denial),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => node.query("compliance", "decide", params(request.query)),
  );
}
