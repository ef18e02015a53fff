import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { BttError, toHex } from "@btt/core";
import { emit, genesisPath, homeOf, keyringOf } from "../context.ts";
import { DEV_PASSPHRASE, MIN_PASSPHRASE_LENGTH, PASSPHRASE_ENV } from "../keyring/passphrase.ts";
import type { Command, ParsedValues } from "../router.ts";
import { devNetworkGenesis, WORKER_ACCOUNT, WORKER_BALANCE_UBTT } from "./dev-network.ts";

export const DEMO_ACCOUNTS = ["alice", "bob", "carol"];
/** The blob gateway's key: it signs the on-chain audit entry of every blob access, so it needs fees. */
const GATEWAY_ACCOUNT = "gateway";
const GATEWAY_BALANCE_UBTT = 100_000_000n;
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
a dev chain's keys are not secrets. The compute network is ready: the demo accounts hold
node_operator credentials (DE), alice is also a patient (the default requester), carol audits, the reference caries model (and its
benchmark suite, when models/caries/benchmark.json exists) is registered, the reward pool holds
100 BTT, and a worker key ("worker" in the keyring, 1000 BTT, a node_operator) runs \`btt worker\`.`,
  options: INIT_OPTIONS,
  run: async ({ values }) => initHomeWithKeyring(homeOf(values), values),
};

/** The passphrase a new dev keyring is sealed with: $BTT_KEYRING_PASSPHRASE when set, else the dev one. */
export function initPassphrase(): string {
  const fromEnv = process.env[PASSPHRASE_ENV];
  const passphrase = fromEnv ? fromEnv : DEV_PASSPHRASE;
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new BttError(
      "UNAUTHORIZED",
      `${PASSPHRASE_ENV} needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
  return passphrase;
}

/** `btt init`, also run by `btt start --init-if-missing`. */
export async function initHomeWithKeyring(home: string, values: ParsedValues): Promise<void> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  const passphrase = initPassphrase();
  const chainId = (values["chain-id"] as string | undefined) ?? "btt-dev-1";
  const { DEV_VALIDATOR_STAKE_UBTT, initHome } = await import("@btt/node");
  const { genesis, keys } = initHome(home, {
    chainId,
    demoAccounts: DEMO_ACCOUNTS,
    demoBalanceUbtt: DEMO_BALANCE_UBTT,
    validatorStakeUbtt: DEV_VALIDATOR_STAKE_UBTT,
    machineAccounts: [
      { name: WORKER_ACCOUNT, ubtt: WORKER_BALANCE_UBTT },
      { name: GATEWAY_ACCOUNT, ubtt: GATEWAY_BALANCE_UBTT },
    ],
    devGenesis: (addresses, time) =>
      devNetworkGenesis(DEMO_ACCOUNTS, WORKER_ACCOUNT, addresses, BigInt(time.getTime())),
  });
  // The gateway reads its key from <data>/gateway_key.json (the same JSON shape as keys/*.json).
  const { homePaths } = await import("@btt/node");
  const paths = homePaths(home);
  mkdirSync(paths.data, { recursive: true });
  copyFileSync(join(paths.keys, `${GATEWAY_ACCOUNT}.json`), join(paths.data, "gateway_key.json"));
  const keyring = keyringOf(home);
  // The worker's key goes in the keyring too: `btt worker` (and `btt start`'s worker) sign with it.
  await Promise.all(
    [...DEMO_ACCOUNTS, WORKER_ACCOUNT].map((name) =>
      keyring.add(name, "ed25519", { seed: keys[name]!.seed }, passphrase),
    ),
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
      worker: keys[WORKER_ACCOUNT]!.address,
      keyring: keyring.dir,
      dev_passphrase: fromEnv ? null : DEV_PASSPHRASE,
    },
    [
      `Initialised ${home} for chain ${genesis.chain_id}`,
      `  validator  ${keys.validator!.address}`,
      ...Object.entries(accounts).map(([name, address]) => `  ${name.padEnd(10)} ${address}  1000000 BTT`),
      `  ${WORKER_ACCOUNT.padEnd(10)} ${keys[WORKER_ACCOUNT]!.address}  compute worker, 1000 BTT (keyring key "${WORKER_ACCOUNT}")`,
      `Demo keys are in the keyring ${keyring.dir}, ${passphraseNote}.`,
    ],
  );
}

export const isInitialised = (home: string): boolean => existsSync(genesisPath(home));
