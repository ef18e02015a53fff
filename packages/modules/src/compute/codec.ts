// Compute records are stored as JSON with bigints tagged: {"$n":"123"}. JSON.stringify keeps the
// properties in the order the code builds them, and every node runs the same code, so the bytes
// agree; values decoded and written again keep their order too.

const TAG = "$n";

export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(
    JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? { [TAG]: v.toString() } : v)),
    "utf8",
  );
}

export function decodeJson<T>(bytes: Uint8Array): T {
  return JSON.parse(Buffer.from(bytes).toString("utf8"), (_k, v) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && typeof v[TAG] === "string"
      ? BigInt(v[TAG])
      : v,
  ) as T;
}
