// The staking module's exports as the tests use them (parameters validated as the store does).
export * from "../src/staking/index.ts";
export { validateStakingParams as validateStakingParamsForTest } from "../src/staking/params.ts";
