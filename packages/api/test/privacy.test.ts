// Identity, consent and compliance over HTTP: credentials issued and a consent granted with the
// SDK's builders (the dev genesis makes the first account the root authority of every type), then
// the typed routes, their dry runs, and their refusals of bad input.
import { BttClient, consent, identity } from "@btt/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, startTestApi, type TestApi } from "./helpers.ts";

const LATER = 4_000_000_000_000; // ms since the epoch, in 2096

describe("privacy routes", () => {
  let t: TestApi;
  let client: BttClient;
  beforeAll(async () => {
    t = await startTestApi();
    client = new BttClient({ url: t.url });
  });
  afterAll(() => t.close());
  const get = async (path: string) => {
    const res = await fetch(`${t.url}/v1${path}`);
    return { status: res.status, body: (await res.json()) as Json };
  };

  it("serves credentials, consents, decisions and dry runs; refuses bad input with its field", async () => {
    const [authority, patient, clinic, stranger] = t.chain.accounts as [
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
      (typeof t.chain.accounts)[0],
    ];
    // A stranger cannot issue; the authority can.
    await expect(
      client.signAndSubmit(
        stranger,
        [
          identity.issueCredential({
            subject: patient.address,
            type: "patient",
            jurisdiction: "DE",
            expiresAtMs: LATER,
          }),
        ],
        { wait: true },
      ),
    ).rejects.toThrow(/UNAUTHORIZED: .* is not authorised to issue patient credentials/);
    // Before the patient holds a credential, a grant is refused by the chain.
    const grant = consent.grant({
      grantee: clinic.address,
      dataClasses: ["imaging", "diagnosis"],
      purpose: "treatment",
      expiresAtMs: LATER,
    });
    await expect(client.signAndSubmit(patient, [grant], { wait: true })).rejects.toThrow(
      /UNAUTHORIZED: .* holds no valid patient credential/,
    );
    const issued = await client.signAndSubmit(
      authority,
      [
        identity.issueCredential({
          subject: patient.address,
          type: "patient",
          jurisdiction: "DE",
          expiresAtMs: LATER,
        }),
        identity.issueCredential({
          subject: clinic.address,
          type: "clinic_licence",
          jurisdiction: "FR",
          attributes: { name: "Clinique Dentaire", licence_no: "FR-123" },
          expiresAtMs: LATER,
        }),
      ],
      { wait: true },
    );
    expect(issued.code_name).toBe("OK");
    await client.signAndSubmit(patient, [grant], { wait: true });

    const creds = await get(`/identity/credentials/${clinic.address}`);
    expect(creds).toMatchObject({
      status: 200,
      body: {
        credentials: [
          { type: "clinic_licence", jurisdiction: "FR", attributes: { licence_no: "FR-123" }, valid: true },
        ],
      },
    });
    expect(
      (await get(`/identity/valid?subject=${patient.address}&type=patient&jurisdiction=DE`)).body,
    ).toMatchObject({
      valid: true,
    });
    const decide = (cls: string) =>
      get(
        `/consent/decide?grantee=${clinic.address}&patient=${patient.address}&data_class=${cls}&purpose=treatment`,
      );
    expect((await decide("imaging")).body).toMatchObject({
      allowed: true,
      rule: "data_residency.@EEA.*",
      consent_id: "1",
    });
    expect((await decide("payment")).body).toMatchObject({
      allowed: false,
      reason: { code: "CONSENT_DATA_CLASS", rule: "consent.data_classes" },
    });
    expect((await get(`/consent/grants/${patient.address}`)).body.grants).toEqual([
      expect.objectContaining({ id: "1", grantee: clinic.address, active: true }),
    ]);
    expect((await get(`/consent/emergency/${patient.address}`)).body).toEqual({
      patient: patient.address,
      accesses: [],
    });
    expect(
      (await get("/compliance/decide?kind=data&data_class=imaging&origin=CN&destination=DE")).body,
    ).toMatchObject({ allowed: false, reason: { code: "RESIDENCY", rule: "data_residency.CN.*" } });
    expect(
      (
        await get(
          "/compliance/decide?kind=investment&investor_type=retail&asset_type=payment_token&jurisdiction=US",
        )
      ).body,
    ).toMatchObject({ allowed: true });

    // Bad input: each refused with a code and the field at fault.
    const bad = await get(
      `/consent/decide?grantee=${clinic.address}&patient=${patient.address}&data_class=genome&purpose=treatment`,
    );
    expect(bad).toMatchObject({ status: 400, body: { code: "INVALID_REQUEST" } });
    expect(bad.body.message).toMatch(/data_class/);
    expect(await get(`/identity/valid?subject=${patient.address}&type=wizard`)).toMatchObject({
      status: 400,
      body: { code: "INVALID_MESSAGE" },
    });
    const badPlace = await get(`/identity/valid?subject=${patient.address}&type=patient&jurisdiction=ZZ`);
    expect(badPlace).toMatchObject({ status: 400, body: { code: "INVALID_MESSAGE" } });
    expect(badPlace.body.message).toMatch(/ISO 3166-1/);
    expect(await get(`/identity/valid?subject=${patient.address}&type=patient&height=999999`)).toMatchObject({
      status: 404,
      body: { code: "HEIGHT_UNAVAILABLE" },
    });
    expect((await get("/compliance/decide?kind=weather")).status).toBe(400);
  });

  it("SDK builders refuse bad input before signing", () => {
    const someone = t.chain.accounts[0]!.address;
    const issue = (p: Partial<Parameters<typeof identity.issueCredential>[0]>) => () =>
      identity.issueCredential({
        subject: someone,
        type: "patient",
        jurisdiction: "DE",
        expiresAtMs: 1,
        ...p,
      });
    expect(issue({ jurisdiction: "EU" })).toThrow(/ISO 3166-1/);
    expect(issue({ type: "kyc" })).toThrow(/level/);
    expect(issue({ type: "wizard" })).toThrow(/credential type/);
    expect(issue({ subject: "btt1bad" })).toThrow(/subject/);
    const grant = (p: Partial<Parameters<typeof consent.grant>[0]>) => () =>
      consent.grant({
        grantee: someone,
        dataClasses: ["imaging"],
        purpose: "treatment",
        expiresAtMs: 1,
        ...p,
      });
    expect(grant({ dataClasses: ["genome"] })).toThrow(/dataClasses\[0\]/);
    expect(grant({ dataClasses: [] })).toThrow(/empty/);
    expect(grant({ purpose: "fun" })).toThrow(/purpose/);
    expect(grant({ recordIds: ["has space"] })).toThrow(/recordIds\[0\]/);
    expect(() => consent.emergencyAccess({ patient: someone, dataClass: "imaging", reason: " " })).toThrow(
      /reason/,
    );
    expect(() => consent.revoke({ id: 0 })).toThrow(/positive/);
  });
});
