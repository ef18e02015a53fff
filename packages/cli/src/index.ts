export { type DenomUnits, formatAmount, parseUserAmount } from "./amounts.ts";
export { runCli } from "./cli.ts";
export { describeFailure, UsageError } from "./errors.ts";
export { type KeyFile, type KeySecret, type KeyType, openKeyFile, sealKeyFile } from "./keyring/key-file.ts";
export { Keyring } from "./keyring/keyring.ts";
export { DEV_PASSPHRASE, PASSPHRASE_ENV } from "./keyring/passphrase.ts";
export { rootCommand } from "./root.ts";
export { type Command, dispatch } from "./router.ts";
