// State layout under "ai/": m ‖ model id → ModelRecord; v ‖ model id ‖ 0x00 ‖ version → VersionRecord
// (JSON). Model ids cannot contain 0x00, so one model's versions never share a prefix with another's.
const utf8 = new TextEncoder();

const MODEL = "ai/m";
const VERSION = "ai/v";

export const modelKey = (id: string): Uint8Array => utf8.encode(`${MODEL}${id}`);
export const modelPrefix = (): Uint8Array => utf8.encode(MODEL);
export const versionKey = (id: string, version: string): Uint8Array =>
  utf8.encode(`${VERSION}${id}\u0000${version}`);
export const versionPrefix = (id: string): Uint8Array => utf8.encode(`${VERSION}${id}\u0000`);

// Clinicians' verdicts: c ‖ model id ‖ 0x00 ‖ version → {confirmed, reviewed};
// f ‖ report id ‖ 0x00 ‖ finding index (4 bytes BE) → the verdict (one per finding).
const CONSENSUS = "ai/c";
const VERDICT = "ai/f";

export const consensusKey = (id: string, version: string): Uint8Array =>
  utf8.encode(`${CONSENSUS}${id}\u0000${version}`);
export const consensusPrefix = (): Uint8Array => utf8.encode(CONSENSUS);
export const verdictKey = (reportId: string, index: number): Uint8Array => {
  const head = utf8.encode(`${VERDICT}${reportId}\u0000`);
  const key = new Uint8Array(head.length + 4);
  key.set(head);
  new DataView(key.buffer).setUint32(head.length, index, false);
  return key;
};
export const verdictPrefix = (): Uint8Array => utf8.encode(VERDICT);
