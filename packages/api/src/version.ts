import pkg from "../package.json" with { type: "json" };

/** The API's version (its package's), reported by /v1/status and the OpenAPI document. */
export const VERSION: string = pkg.version;
