// bench:privacy: access decisions (consent + identity + compliance) per second and their p99, over
// a realistic state held in a real ledger (LMDB, read through the node's committed store), and
// the record encryption primitive (AES-256-GCM, node:crypto) in MB/s over 1 MiB blobs.
import { createCipheriv, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeAddress, sha256 } from "@btt/core";
import { type AccessRequest, DATA_CLASSES, PURPOSES } from "@btt/modules";
import { Application, createDevGenesis, Ledger, validateGenesis } from "@btt/node";
import { benchSigner } from "./accounts.ts";

const PATIENTS = Number(process.env.PATIENTS ?? 5_000);
const GRANTEES = Number(process.env.GRANTEES ?? 500);
const GRANTS_PER_PATIENT = 3;
const DECISIONS = Number(process.env.DECISIONS ?? 300_000);
const T0 = 1_800_000_000_000n;
const YEAR = 365n * 86_400_000n;

const addr = (kind: string, i: number) => encodeAddress(sha256(Buffer.from(`${kind}-${i}`)).subarray(0, 20));
// A fixed generator: the same state and requests on every run.
let seed = 12345;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};

const PATIENT_PLACES = ["CN", "DE", "US", "FR", "BR", "JP"];
const GRANTEE_KINDS: Array<[string, string[], string[]]> = [
  ["clinic_licence", ["CN", "DE", "US", "FR", "BR"], ["treatment", "payment", "research"]],
  ["practitioner_licence", ["CN", "DE", "US", "JP", "FR"], ["treatment"]],
  ["insurer", ["US", "DE", "CN", "JP"], ["insurance", "payment"]],
];

function buildGenesis() {
  const authority = addr("authority", 0);
  const credentials: Array<Record<string, unknown>> = [];
  const credential = (subject: string, type: string, jurisdiction: string) =>
    credentials.push({
      id: String(credentials.length + 1),
      subject,
      type,
      jurisdiction,
      attributes: {},
      issued_at_ms: "0",
      expires_at_ms: String(T0 + YEAR),
      issuer: authority,
    });
  // Grantees: clinics, practitioners and insurers, each licensed in one jurisdiction.
  const grantees = Array.from({ length: GRANTEES }, (_, i) => addr("grantee", i));
  const serves = new Map<string, string[]>();
  const near = new Map<string, string[]>();
  grantees.forEach((g, i) => {
    const [type, places, purposes] = GRANTEE_KINDS[i % GRANTEE_KINDS.length]!;
    const place = places[rand(places.length)]!;
    credential(g, type, place);
    serves.set(g, purposes);
    near.set(place, [...(near.get(place) ?? []), g]);
  });
  const patients = Array.from({ length: PATIENTS }, (_, i) => addr("patient", i));
  const grants: Array<Record<string, unknown>> = [];
  const pairs: Pair[] = [];
  for (const p of patients) {
    const place = PATIENT_PLACES[rand(PATIENT_PLACES.length)]!;
    credential(p, "patient", place);
    for (let k = 0; k < GRANTS_PER_PATIENT; k++) {
      // Mostly providers in the patient's own country, some abroad.
      const local = near.get(place);
      const grantee = local && rand(5) !== 0 ? local[rand(local.length)]! : grantees[rand(grantees.length)]!;
      const picked = DATA_CLASSES.filter(() => rand(2) === 0);
      const classes: string[] = picked.length > 0 ? picked : ["imaging"];
      const purposes = serves.get(grantee)!;
      const purpose = purposes[rand(purposes.length)]!;
      pairs.push({ patient: p, grantee, classes, purpose });
      grants.push({
        id: String(grants.length + 1),
        patient: p,
        grantee,
        data_classes: classes,
        purpose,
        record_ids: rand(4) === 0 ? ["rec-1", "rec-2"] : [],
        granted_at_ms: "0",
        // A fifth of the grants have expired by the time of the decisions.
        expires_at_ms: String(rand(5) === 0 ? T0 - 1n : T0 + YEAR),
        ...(rand(10) === 0 ? { revoked_at_ms: "1" } : {}),
      });
    }
  }
  const genesis = createDevGenesis({
    chainId: "btt-bench-privacy",
    genesisTime: "2026-01-01T00:00:00Z",
    validator: benchSigner(-1),
    funded: [{ signer: benchSigner(0), ubtt: 1_000_000n }],
  });
  genesis.app_state.identity = {
    params: {
      authorities: Object.fromEntries(
        ["patient", ...GRANTEE_KINDS.map(([t]) => t)].map((t) => [t, [authority]]),
      ),
      max_delegation_depth: 2,
      max_credentials_per_type: 8,
    },
    credentials,
  };
  genesis.app_state.consent = { grants };
  // Validated as a node validates its genesis file: every module's section, defaults filled in.
  return { genesis: validateGenesis(genesis, (id) => new Application(id)), patients, grantees, pairs };
}

interface Pair {
  patient: string;
  grantee: string;
  classes: string[];
  purpose: string;
}

function requests(patients: string[], grantees: string[], pairs: Pair[]): AccessRequest[] {
  const out: AccessRequest[] = [];
  for (let i = 0; i < DECISIONS; i++) {
    // Mostly a grantee using a grant as given (the realistic case); some ask outside its scope,
    // some are strangers to the patient.
    const roll = rand(10);
    const pair = pairs[rand(pairs.length)]!;
    const stranger = roll === 0;
    const inScope = roll >= 3;
    const recordId = rand(3) === 0 ? `rec-${1 + rand(3)}` : undefined;
    out.push({
      grantee: stranger ? grantees[rand(grantees.length)]! : pair.grantee,
      patient: stranger ? patients[rand(patients.length)]! : pair.patient,
      dataClass: inScope
        ? pair.classes[rand(pair.classes.length)]!
        : DATA_CLASSES[rand(DATA_CLASSES.length)]!,
      purpose: inScope ? pair.purpose : PURPOSES[rand(PURPOSES.length)]!,
      ...(recordId === undefined ? {} : { recordId }),
      atMs: T0,
    });
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

function encryptMbPerS(): number {
  const blob = randomBytes(1 << 20);
  const key = randomBytes(32);
  const encrypt = () => {
    const cipher = createCipheriv("aes-256-gcm", key, randomBytes(12));
    cipher.update(blob);
    cipher.final();
    cipher.getAuthTag();
  };
  for (let i = 0; i < 16; i++) encrypt();
  const n = 256;
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) encrypt();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (n * (1 << 20)) / 1e6 / seconds;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "btt-bench-privacy-"));
  const { genesis, patients, grantees, pairs } = buildGenesis();
  const ledger = new Ledger({ dataDir: join(dir, "data"), genesis, keepRecent: 10 });
  try {
    ledger.commitBlock([], T0 - 10n, benchSigner(-1).address);
    const consent = ledger.app.consent.keeper;
    const kv = ledger.committed;
    const reqs = requests(patients, grantees, pairs);

    // Cold: the first reads go to LMDB. Then warm: the committed store's read cache, as between commits.
    let started = process.hrtime.bigint();
    let allowed = 0;
    for (const r of reqs) if (consent.accessDecision(kv, r).allowed) allowed++;
    const coldSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    started = process.hrtime.bigint();
    for (const r of reqs) consent.accessDecision(kv, r);
    const warmSeconds = Number(process.hrtime.bigint() - started) / 1e9;

    const times = new Float64Array(reqs.length);
    for (let i = 0; i < reqs.length; i++) {
      const t = process.hrtime.bigint();
      consent.accessDecision(kv, reqs[i]!);
      times[i] = Number(process.hrtime.bigint() - t) / 1000;
    }
    times.sort();

    const encrypt = encryptMbPerS();
    console.log(
      JSON.stringify({
        patients: PATIENTS,
        grantees: GRANTEES,
        grants: pairs.length,
        decisions: reqs.length,
        allowed_fraction: Number((allowed / reqs.length).toFixed(3)),
        cold_decisions_per_s: Math.round(reqs.length / coldSeconds),
        p50_decision_us: Number(percentile(times, 50).toFixed(2)),
        p999_decision_us: Number(percentile(times, 99.9).toFixed(2)),
      }),
    );
    console.log(
      JSON.stringify({
        access_decisions_per_s: Math.round(reqs.length / warmSeconds),
        p99_decision_us: Number(percentile(times, 99).toFixed(2)),
        encrypt_mb_s: Math.round(encrypt),
      }),
    );
  } finally {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
