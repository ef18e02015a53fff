export * from "./auth/index.ts";
export * from "./bank/index.ts";
export * from "./framework/index.ts";
export * from "./framework/router.ts";
