// Staking from the client side: validators, delegations and the validator score as typed queries,
// and the staking messages built and checked before signing (browser-safe: the builders only).
// Rates, ratings and scores are integers in ppm (1_000_000 = 100%), as on chain.
import {
  BttError,
  decodeAddress,
  fromHex,
  type Msg,
  MsgCreateValidatorSchema,
  MsgDelegateSchema,
  MsgEditValidatorSchema,
  MsgRedelegateSchema,
  MsgSetComplianceRatingSchema,
  MsgUndelegateSchema,
  MsgUnjailSchema,
} from "@btt/core";
import { stakingMsg } from "@btt/modules/staking/builders";
import type { DescMessage } from "@bufbuild/protobuf";
import { type AmountInput, parseDenomAmount, toBaseUnits } from "./amounts.ts";
import type { BttClient } from "./client.ts";

export const STAKING_MESSAGE_SCHEMAS: ReadonlyArray<[string, DescMessage]> = [
  ["staking/CreateValidator", MsgCreateValidatorSchema],
  ["staking/EditValidator", MsgEditValidatorSchema],
  ["staking/Delegate", MsgDelegateSchema],
  ["staking/Undelegate", MsgUndelegateSchema],
  ["staking/Redelegate", MsgRedelegateSchema],
  ["staking/Unjail", MsgUnjailSchema],
  ["staking/SetComplianceRating", MsgSetComplianceRatingSchema],
];

/** 100% in parts per million. */
export const PPM = 1_000_000;

// ---- the API's JSON (GET /v1/queries/staking/<name>): snake_case, integers as decimal strings ----

export interface ValidatorDescriptionJson {
  moniker: string;
  website: string;
  details: string;
}

export interface ValidatorJson {
  operator: string;
  /** The consensus Ed25519 public key, 64 hex digits. */
  consensus_pubkey: string;
  description: ValidatorDescriptionJson;
  commission_rate_ppm: string;
  commission_max_rate_ppm: string;
  commission_max_change_ppm: string;
  /** Bonded tokens: the sum of its delegations (self-delegation included). */
  tokens: string;
  jailed: boolean;
  /** The compliance rating a regulator set, or null (the default rating applies). */
  rating_ppm: string | null;
  jailed_until: string | null;
  tombstoned: boolean;
}

export interface DelegationJson {
  validator: string;
  delegator: string;
  /** "0" when there is none. */
  amount: string;
}

/** A candidate's score components, as the next epoch end would compute them. */
export interface ValidatorScoreJson {
  operator: string;
  s_ppm: string;
  h_ppm: string;
  c_ppm: string;
  v_ppm: string;
}

export interface SigningInfoJson {
  operator: string;
  /** Upper-case hex, as CometBFT shows validator addresses. */
  consensus_address: string;
  window: number;
  missed: number;
  tracked: number;
  jailed: boolean;
  jailed_until: string | null;
  tombstoned: boolean;
}

export interface RewardsPoolJson {
  address: string;
  denom: string;
  balance: string;
}

export interface ActiveSetMemberJson {
  operator: string;
  consensus_pubkey: string;
  power: string;
}

export interface StakingParamsJson {
  bond_denom: string;
  unbonding_blocks: string;
  epoch_blocks: string;
  signed_blocks_window: number;
  max_validators: number;
  weight_stake_ppm: number;
  weight_reliability_ppm: number;
  weight_compliance_ppm: number;
  min_rating_ppm: number;
  default_rating_ppm: number;
  /** The parameters below came later: a chain whose stored params predate them omits them. */
  downtime_missed_ppm?: number;
  downtime_slash_ppm?: number;
  downtime_jail_blocks?: string;
  double_sign_slash_ppm?: number;
  block_reward?: string;
}

// ---- queries ----

const queryStaking = <T>(client: BttClient, name: string, params: Record<string, string> = {}) =>
  client.query("staking", name, params) as Promise<T>;

function address(text: string, what: string): string {
  decodeAddress(text, what);
  return text;
}

/** The staking parameters, as stored. */
export const getStakingParams = (client: BttClient) => queryStaking<StakingParamsJson>(client, "params");

/** One validator by its operator address (NOT_FOUND when there is none). */
export const getValidator = (client: BttClient, operator: string) =>
  queryStaking<ValidatorJson>(client, "validator", { operator: address(operator, "operator") });

/** Every validator, jailed ones included, in operator address order. */
export async function listValidators(client: BttClient): Promise<ValidatorJson[]> {
  return (await queryStaking<{ validators: ValidatorJson[] }>(client, "validators")).validators;
}

/** What `delegator` has bonded to `validator` ("0" when nothing). */
export const getDelegation = (client: BttClient, validator: string, delegator: string) =>
  queryStaking<DelegationJson>(client, "delegation", {
    validator: address(validator, "validator"),
    delegator: address(delegator, "delegator"),
  });

/** S, H, C and V of every candidate, as the next epoch end would compute them. */
export async function getScores(client: BttClient): Promise<ValidatorScoreJson[]> {
  return (await queryStaking<{ scores: ValidatorScoreJson[] }>(client, "scores")).scores;
}

/** A validator's signing window (missed of tracked blocks) and jail status. */
export const getSigningInfo = (client: BttClient, operator: string) =>
  queryStaking<SigningInfoJson>(client, "signing_info", { operator: address(operator, "operator") });

/** The pool paid out to the active set at the next epoch end. */
export const getRewardsPool = (client: BttClient) => queryStaking<RewardsPoolJson>(client, "rewards_pool");

/** The active set chosen at the last epoch end, with voting powers. */
export async function getActiveSet(client: BttClient): Promise<ActiveSetMemberJson[]> {
  return (await queryStaking<{ validators: ActiveSetMemberJson[] }>(client, "active_set")).validators;
}

// ---- messages ----

// The chain's own limits (staking/msgs.ts), checked here so a wallet hears of them before signing.
const MAX_DESCRIPTION = { moniker: 70, website: 140, details: 280 } as const;

export interface DescriptionInput {
  moniker?: string;
  website?: string;
  details?: string;
}

function description(d: DescriptionInput): ValidatorDescriptionJson {
  const out = { moniker: d.moniker ?? "", website: d.website ?? "", details: d.details ?? "" };
  for (const field of ["moniker", "website", "details"] as const) {
    if (typeof out[field] !== "string" || out[field].length > MAX_DESCRIPTION[field]) {
      throw new BttError(
        "INVALID_MESSAGE",
        `description.${field} must be text of at most ${MAX_DESCRIPTION[field]} characters`,
        { field: `description.${field}` },
      );
    }
  }
  return out;
}

/** A share in ppm: a whole number from 0 to 1_000_000. */
function ppm(value: number | bigint, what: string): number {
  const n = typeof value === "bigint" ? Number(value) : value;
  if (!Number.isInteger(n) || n < 0 || n > PPM) {
    throw new BttError("INVALID_MESSAGE", `${what} must be a whole number of ppm from 0 to 1000000`, {
      field: what,
    });
  }
  return n;
}

/**
 * A percentage typed by a person ("10", "2.5", "0.0001", with or without "%") in ppm, exactly:
 * up to 4 decimals, at most 100.
 */
export function percentToPpm(text: string, what = "percentage"): number {
  const digits = text.trim().replace(/%$/, "");
  let value: bigint;
  try {
    value = parseDenomAmount(digits, 4, what);
  } catch {
    throw new BttError(
      "INVALID_MESSAGE",
      `${what} "${text}" must be a percentage from 0 to 100 with at most 4 decimals, like 5 or 2.5%`,
      { field: what },
    );
  }
  if (value > BigInt(PPM)) {
    throw new BttError("INVALID_MESSAGE", `${what} "${text}" is above 100%`, { field: what });
  }
  return Number(value);
}

/** An Ed25519 consensus key: 32 bytes, 64 hex digits, or base64 as in CometBFT's priv_validator_key.json. */
export function consensusKeyBytes(input: Uint8Array | string): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (typeof input !== "string") bytes = input;
  else if (/^[0-9a-fA-F]{64}$/.test(input)) bytes = fromHex(input.toLowerCase());
  else if (/^[A-Za-z0-9+/]{43}=$/.test(input)) bytes = base64Bytes(input);
  if (bytes?.length !== 32) {
    throw new BttError(
      "INVALID_MESSAGE",
      "the consensus public key must be a 32-byte Ed25519 key (64 hex digits, or base64)",
      { field: "consensusPubkey" },
    );
  }
  return bytes;
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function positiveAmount(value: AmountInput, what: string): bigint {
  const v = toBaseUnits(value, undefined, what);
  if (v <= 0n) throw new BttError("INVALID_AMOUNT", `${what} must be positive`, { field: what });
  return v;
}

/**
 * Builders of the staking module's messages (amounts in the bond denomination's base units,
 * ubtt), checked before signing where the rule is the message's own; what depends on state
 * (a known, unjailed validator, enough delegated, a regulator credential) is the chain's.
 */
export const staking = {
  /** The sender becomes a validator's operator, bonding `selfDelegation` from its balance. */
  createValidator(p: {
    consensusPubkey: Uint8Array | string;
    selfDelegation: AmountInput;
    commissionRatePpm: number;
    commissionMaxRatePpm: number;
    commissionMaxChangePpm: number;
    description?: DescriptionInput;
  }): Msg {
    const rate = ppm(p.commissionRatePpm, "commissionRatePpm");
    const max = ppm(p.commissionMaxRatePpm, "commissionMaxRatePpm");
    const change = ppm(p.commissionMaxChangePpm, "commissionMaxChangePpm");
    if (rate > max) {
      throw new BttError(
        "INVALID_MESSAGE",
        `the commission rate ${rate} ppm is above its maximum ${max} ppm`,
        {
          field: "commissionRatePpm",
        },
      );
    }
    if (change > max) {
      throw new BttError("INVALID_MESSAGE", "commissionMaxChangePpm is above the maximum rate", {
        field: "commissionMaxChangePpm",
      });
    }
    return stakingMsg.createValidator({
      consensusPubkey: consensusKeyBytes(p.consensusPubkey),
      description: description(p.description ?? {}),
      commissionRatePpm: rate,
      commissionMaxRatePpm: max,
      commissionMaxChangePpm: change,
      selfDelegation: positiveAmount(p.selfDelegation, "selfDelegation").toString(),
    });
  },
  /**
   * The sender's validator gets a new description (replacing all three fields) and/or a new
   * commission rate (within its maximum and maximum change); what is left out stays.
   */
  editValidator(p: { description?: DescriptionInput; commissionRatePpm?: number }): Msg {
    if (p.description === undefined && p.commissionRatePpm === undefined) {
      throw new BttError("INVALID_MESSAGE", "an edit changes the description, the commission rate or both");
    }
    return stakingMsg.editValidator({
      ...(p.description !== undefined ? { description: description(p.description) } : {}),
      ...(p.commissionRatePpm !== undefined
        ? { setCommissionRate: true, commissionRatePpm: ppm(p.commissionRatePpm, "commissionRatePpm") }
        : {}),
    });
  },
  delegate(p: { validator: string; amount: AmountInput }): Msg {
    return stakingMsg.delegate(address(p.validator, "validator"), positiveAmount(p.amount, "amount"));
  },
  /** Starts unbonding: the tokens come back after the unbonding period. */
  undelegate(p: { validator: string; amount: AmountInput }): Msg {
    return stakingMsg.undelegate(address(p.validator, "validator"), positiveAmount(p.amount, "amount"));
  },
  /** Moves bonded tokens from one validator to another at once, without unbonding. */
  redelegate(p: { srcValidator: string; dstValidator: string; amount: AmountInput }): Msg {
    const src = address(p.srcValidator, "srcValidator");
    const dst = address(p.dstValidator, "dstValidator");
    if (src === dst) {
      throw new BttError("INVALID_MESSAGE", "srcValidator and dstValidator are the same", {
        field: "dstValidator",
      });
    }
    return stakingMsg.redelegate(src, dst, positiveAmount(p.amount, "amount"));
  },
  /** The sender's jailed validator asks to be a candidate again (after its jail period). */
  unjail(): Msg {
    return stakingMsg.unjail();
  },
  /** A regulator (an account holding a regulator credential) rates a validator's compliance, C. */
  setComplianceRating(p: { validator: string; ratingPpm: number }): Msg {
    return stakingMsg.setComplianceRating(address(p.validator, "validator"), ppm(p.ratingPpm, "ratingPpm"));
  },
};
