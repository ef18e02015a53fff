export * from "./app.ts";
export * from "./cometbft.ts";
export * from "./connection.ts";
export * from "./framing.ts";
export * from "./rpc.ts";
export * from "./server.ts";
export * from "./testnet.ts";
export * from "./testnet-run.ts";
