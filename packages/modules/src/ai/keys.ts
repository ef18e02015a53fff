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
