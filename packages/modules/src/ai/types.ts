import { BttError } from "@btt/core";

/** A registered model: an id owned by an account, with versions pinned by hash. */
export interface ModelRecord {
  id: string;
  owner: string;
  task: string;
  modalities: string[];
  description: string;
  /** Price per inference task (marketplace; empty when free or not priced yet). */
  price_per_task?: { denom: string; amount: string };
  /** The version published last, whatever its status. */
  latest_version?: string;
  registered_at_ms: string;
}

/** Clinicians' verdicts on one model version's findings (decimal strings). */
export interface ConsensusRecord {
  model_id: string;
  version: string;
  confirmed: string;
  reviewed: string;
}

/** One clinician's verdict on one finding of one report. */
export interface VerdictRecord {
  report_id: string;
  finding_index: number;
  confirmed: boolean;
  model_id: string;
  model_version: string;
  confirmer: string;
  at_ms: string;
}

export const REPORT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Findings per report a verdict may name (index 0 .. MAX_FINDING_INDEX). */
export const MAX_FINDING_INDEX = 4095;

export function checkReportId(id: string, field = "report_id"): void {
  if (!REPORT_ID_PATTERN.test(id))
    throw new BttError(
      "INVALID_MESSAGE",
      `${field} must be 1-64 of A-Z a-z 0-9 . _ : - starting with a letter or digit`,
      { field },
    );
}

export function checkFindingIndex(i: number, field = "finding_index"): void {
  if (!Number.isInteger(i) || i < 0 || i > MAX_FINDING_INDEX)
    throw new BttError("INVALID_MESSAGE", `${field} must be 0 to ${MAX_FINDING_INDEX}`, { field });
}

export type VersionStatus = "active" | "deprecated";

export interface VersionRecord {
  model_id: string;
  version: string;
  sha256: string;
  card_sha256: string;
  uri: string;
  size_bytes: string;
  status: VersionStatus;
  published_at_ms: string;
  deprecated_at_ms?: string;
  deprecation_reason?: string;
}

export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{2,63}$/;
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,31}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const TASK_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MODALITY_PATTERN = /^[A-Z]{2,4}$/;
export const MAX_MODALITIES = 16;
export const MAX_TEXT = 512;

const invalid = (what: string, field: string) =>
  new BttError("INVALID_MESSAGE", `${field} ${what}`, { field });

export function checkModelId(id: string, field = "model_id"): void {
  if (!MODEL_ID_PATTERN.test(id))
    throw invalid("must be 3-64 of a-z 0-9 . _ - starting with a letter or digit", field);
}

export function checkVersion(v: string, field = "version"): void {
  if (!VERSION_PATTERN.test(v))
    throw invalid("must be 1-32 of 0-9 A-Z a-z . + - starting with a letter or digit", field);
}

export function checkSha256(h: string, field: string): void {
  if (!SHA256_PATTERN.test(h)) throw invalid("must be a SHA-256 in 64 lowercase hex digits", field);
}

export function checkTask(t: string): void {
  if (!TASK_PATTERN.test(t)) throw invalid("must be 1-64 of a-z 0-9 - (e.g. caries-detection)", "task");
}

export function checkModalities(m: readonly string[]): void {
  if (m.length === 0 || m.length > MAX_MODALITIES)
    throw invalid(`must list 1 to ${MAX_MODALITIES} modalities`, "modalities");
  m.forEach((x, i) => {
    if (!MODALITY_PATTERN.test(x))
      throw invalid("must be a DICOM modality code (2-4 capital letters)", `modalities[${i}]`);
  });
  if (new Set(m).size !== m.length) throw invalid("must not repeat a modality", "modalities");
}

export function checkText(s: string, field: string, max = MAX_TEXT): void {
  if (s.length > max) throw invalid(`must be at most ${max} characters`, field);
}
