import { readFileSync } from "node:fs";
import { addressOf, BttError, PublicKeySchema, type Signer, toHex, validatePublicKey } from "@btt/core";
import {
  BTT_DENOM,
  CREDENTIAL_TYPES,
  type CredentialType,
  DEFAULT_AUTH_PARAMS,
  DEFAULT_COMPUTE_PARAMS,
  DEFAULT_IDENTITY_PARAMS,
  DEFAULT_STAKING_PARAMS,
  JsonFields,
  REWARD_POOL,
} from "@btt/modules";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import type { Application } from "./app.ts";

/** The genesis file: the chain's identity, its first validators and every module's initial state. */
export interface GenesisDoc {
  chain_id: string;
  /** RFC 3339 time; the first block's time is later than this. */
  genesis_time: string;
  validators: Array<{ name: string; address: string; public_key: JsonValue; power: string }>;
  app_state: Record<string, unknown>;
}

export const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,48}[a-z0-9]$/;

/** Parses and checks a genesis document, including every module's section. */
export function validateGenesis(raw: unknown, makeApp: (chainId: string) => Application): GenesisDoc {
  const f = new JsonFields("INVALID_GENESIS", "genesis");
  const o = f.object(raw);
  const chainId = f.string(o, "chain_id");
  f.check(CHAIN_ID_PATTERN.test(chainId), `must match ${CHAIN_ID_PATTERN.source}`, "chain_id");
  const genesisTime = f.string(o, "genesis_time");
  f.check(!Number.isNaN(Date.parse(genesisTime)), "must be an RFC 3339 time", "genesis_time");
  const validators = f.array(o, "validators").map((v, i) => {
    const vf = f.at("validators").at(i);
    const vo = vf.object(v);
    const address = vf.string(vo, "address");
    let key: ReturnType<typeof fromJson<typeof PublicKeySchema>> | undefined;
    try {
      key = fromJson(PublicKeySchema, vo.public_key as JsonValue);
      validatePublicKey(key);
    } catch (err) {
      vf.check(false, `is not a public key: ${(err as Error).message}`, "public_key");
    }
    vf.check(
      key!.key.case === "ed25519",
      "must be an Ed25519 key (consensus keys are Ed25519)",
      "public_key",
    );
    vf.check(addressOf(key!) === address, "does not match public_key", "address");
    const power = vf.amount(vo, "power");
    vf.check(power > 0n, "must be positive", "power");
    return {
      name: vf.string(vo, "name", ""),
      address,
      public_key: vo.public_key as JsonValue,
      power: power.toString(),
    };
  });
  f.check(validators.length > 0, "must list at least one validator", "validators");
  const app = makeApp(chainId);
  const appState = app.validateAppState(f.object(o.app_state ?? {}));
  return { chain_id: chainId, genesis_time: genesisTime, validators, app_state: appState };
}

export function readGenesisFile(path: string, makeApp: (chainId: string) => Application): GenesisDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new BttError("INVALID_GENESIS", `cannot read genesis file ${path}: ${(err as Error).message}`);
  }
  return validateGenesis(raw, makeApp);
}

export interface DevGenesisOptions {
  chainId: string;
  genesisTime: string;
  validator: Signer;
  /** Accounts funded at genesis, with their balance in ubtt. */
  funded: Array<{ signer: Signer; ubtt: bigint }>;
  /** Accounts allowed to mint and burn BTT (none on a production chain). */
  minters?: string[];
  /**
   * Root authorities of every credential type (identity module), so a dev chain can issue
   * credentials at once; default: the first funded account. A production chain names its real
   * authorities (a health ministry for licences, a KYC provider for KYC…) per type.
   */
  identityAuthorities?: string[];
  /**
   * Credentials held from the first block (issued by the first root authority of their type),
   * e.g. node_operator and patient for demo accounts, so the compute network runs with no setup.
   */
  credentials?: Array<{ subject: string; type: CredentialType; jurisdiction: string }>;
  /** AI models registered at genesis, in the ai module's genesis form (models with their versions). */
  aiModels?: unknown[];
  /** The compute network: parameters over DEFAULT_COMPUTE_PARAMS, and a funded reward pool. */
  compute?: DevComputeOptions;
  /**
   * The dev validator's self-delegation in the staking module (its account is funded with twice
   * this); 0 (the default) leaves staking without validators. `btt init` gives DEV_VALIDATOR_STAKE_UBTT.
   */
  validatorStakeUbtt?: bigint;
}

/** 100,000 BTT: the dev validator's self-delegation, so staking queries and delegations work on a dev chain. */
export const DEV_VALIDATOR_STAKE_UBTT = 100_000_000_000n;

export interface DevComputeOptions {
  /** The capability benchmark suite (compute params' `benchmark`, JSON); default none: nodes start active. */
  benchmark?: Record<string, unknown>;
  auditors?: string[];
  epochBlocks?: bigint;
  /** Minted into the reward pool at genesis, so epoch rewards show on a dev chain (part of the supply). */
  rewardPoolUbtt?: bigint;
}

/** Credentials of a dev genesis last this long after the genesis time. */
const DEV_CREDENTIAL_MS = 10n * 365n * 86_400_000n;

/** A genesis for development: one validator, funded demo accounts, default parameters. */
export function createDevGenesis(opts: DevGenesisOptions): GenesisDoc {
  const authorities = opts.identityAuthorities ?? opts.funded.slice(0, 1).map((f) => f.signer.address);
  const issuedAtMs = BigInt(Date.parse(opts.genesisTime));
  const credentials = (opts.credentials ?? []).map((c, i) => ({
    id: String(i + 1),
    subject: c.subject,
    type: c.type,
    jurisdiction: c.jurisdiction,
    attributes: {},
    issued_at_ms: issuedAtMs.toString(),
    expires_at_ms: (issuedAtMs + DEV_CREDENTIAL_MS).toString(),
    issuer: authorities[0]!,
  }));
  // The solo validator is a staking validator too: it signs every block (H = 1), its consensus
  // key is its account key, and its operator is that same account.
  const stake = opts.validatorStakeUbtt ?? 0n;
  const funded = stake > 0n ? [...opts.funded, { signer: opts.validator, ubtt: 2n * stake }] : opts.funded;
  const balances = funded.map(({ signer, ubtt }) => ({
    address: signer.address,
    coins: [{ denom: "ubtt", amount: ubtt.toString() }],
  }));
  const pool = opts.compute?.rewardPoolUbtt ?? 0n;
  if (pool > 0n) balances.push({ address: REWARD_POOL, coins: [{ denom: "ubtt", amount: pool.toString() }] });
  return {
    chain_id: opts.chainId,
    genesis_time: opts.genesisTime,
    validators: [
      {
        name: "dev-validator",
        address: opts.validator.address,
        public_key: toJson(PublicKeySchema, opts.validator.publicKey),
        power: "1",
      },
    ],
    app_state: {
      auth: {
        params: DEFAULT_AUTH_PARAMS,
        accounts: funded.map(({ signer }) => ({
          address: signer.address,
          public_key: toJson(PublicKeySchema, signer.publicKey),
        })),
      },
      identity: {
        params: {
          ...DEFAULT_IDENTITY_PARAMS,
          authorities: Object.fromEntries(CREDENTIAL_TYPES.map((type) => [type, authorities])),
        },
        authorisations: [],
        credentials,
        next_id: String(credentials.length + 1),
      },
      bank: {
        params: { send_enabled: true },
        denoms: [{ ...BTT_DENOM, minters: opts.minters ?? [] }],
        balances,
      },
      ...(stake > 0n
        ? {
            staking: {
              params: DEFAULT_STAKING_PARAMS,
              validators: [
                {
                  operator: opts.validator.address,
                  consensus_pubkey: toHex(opts.validator.publicKey.key.value as Uint8Array),
                  moniker: "dev-validator",
                  commission_rate_ppm: 100_000,
                  commission_max_rate_ppm: 200_000,
                  commission_max_change_ppm: 10_000,
                  self_delegation: stake.toString(),
                  jailed: false,
                },
              ],
            },
          }
        : {}),
      ...(opts.aiModels ? { ai: { models: opts.aiModels } } : {}),
      ...(opts.compute ? { compute: { params: devComputeParams(opts.compute) } } : {}),
    },
  };
}

function devComputeParams(c: DevComputeOptions) {
  const d = DEFAULT_COMPUTE_PARAMS;
  return {
    ...d,
    ...(c.epochBlocks !== undefined ? { epoch_blocks: c.epochBlocks.toString() } : {}),
    auditors: c.auditors ?? d.auditors,
    benchmark: { ...d.benchmark, ...(c.benchmark ?? {}) },
  };
}
