export * from "./events.ts";
export * from "./fields.ts";
export * from "./memo.ts";
export * from "./memory-store.ts";
export * from "./module.ts";
export * from "./params.ts";
export * from "./store.ts";
