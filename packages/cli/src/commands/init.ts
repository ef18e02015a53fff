import { existsSync } from "node:fs";
import { BttError, toHex } from "@btt/core";
import { emit, genesisPath, homeOf, keyringOf } from "../context.ts";
import { DEV_PASSPHRASE, MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV } from "../keyring/passphrase.ts";
import type { Command, ParsedValues } from "../router.ts";

export const DEMO_ACCOUNTS = ["alice", "bob", "carol"];
const DEMO_BALANCE_UBTT = 1_000_000_000_000n;

export const INIT_OPTIONS = {
  "chain-id": {
    type: "string",
    value: "<id>",
    description: "chain id (default: btt-dev-1)",
    default: "btt-dev-1",
  },
} as const;

export const initCommand: Command = {
  name: "init",
  summary: "create a home directory: dev validator, funded demo accounts, genesis, config",
  details: `The demo accounts alice, bob and carol (1,000,000 BTT each) are added to the keyring,
sealed with $${PASSPHRASE_ENV} when it is set, else with the development passphrase
"${DEV_PASSPHRASE}". Their unencrypted seeds also stay in <home>/keys, like the validator's:
a dev chain's keys are not secrets.`,
  options: INIT_OPTIONS,
  run: async ({ values }) => initHomeWithKeyring(homeOf(values), values),
};

/** `btt init`, also run by `btt start --init-if-missing`. */
export async function initHomeWithKeyring(home: string, values: ParsedValues): Promise<void> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  const passphrase = fromEnv ? fromEnv : DEV_PASSPHRASE;
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new BttError(
      "UNAUTHORIZED",
      `${PASSPHRASE_ENV} needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
  const chainId = (values["chain-id"] as string | undefined) ?? "btt-dev-1";
  const { initHome } = await import("@btt/node");
  const { genesis, keys } = initHome(home, {
    chainId,
    demoAccounts: DEMO_ACCOUNTS,
    demoBalanceUbtt: DEMO_BALANCE_UBTT,
  });
  const keyring = keyringOf(home);
  await Promise.all(
    DEMO_ACCOUNTS.map((name) => keyring.add(name, "ed25519", { seed: keys[name]!.seed }, passphrase)),
  );
  const accounts = Object.fromEntries(DEMO_ACCOUNTS.map((name) => [name, keys[name]!.address]));
  const passphraseNote = fromEnv
    ? `sealed with $${PASSPHRASE_ENV}`
    : `sealed with the development passphrase "${DEV_PASSPHRASE}"`;
  emit(
    values,
    {
      home,
      chain_id: genesis.chain_id,
      validator: keys.validator!.address,
      validator_public_key: toHex(keys.validator!.publicKey.key.value as Uint8Array),
      accounts,
      keyring: keyring.dir,
      dev_passphrase: fromEnv ? null : DEV_PASSPHRASE,
    },
    [
      `Initialised ${home} for chain ${genesis.chain_id}`,
      `  validator  ${keys.validator!.address}`,
      ...Object.entries(accounts).map(([name, address]) => `  ${name.padEnd(10)} ${address}  1000000 BTT`),
      `Demo keys are in the keyring ${keyring.dir}, ${passphraseNote}.`,
    ],
  );
}

export const isInitialised = (home: string): boolean => existsSync(genesisPath(home));
