// Staking: become a validator, delegate to one, move or take back a delegation, rate a validator's
// compliance; read validators, delegations and the validator score. Messages are the SDK's
// (checked before signing); what the chain would refuse for the state it holds (an unknown or
// jailed validator, more than is delegated) is checked first too, so no fee is spent on it.
import { BttError, decodeAddress } from "@btt/core";
import {
  type BttClient,
  getDelegation,
  getRewardsPool,
  getScores,
  getSigningInfo,
  getStakingParams,
  getValidator,
  listValidators,
  percentToPpm,
  staking,
  type ValidatorJson,
} from "@btt/sdk";
import { type DenomUnits, formatAmount, parseUserAmount } from "../amounts.ts";
import { withNode } from "../client.ts";
import { emit, homeOf, keyringOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { checkKeyName } from "../keyring/keyring.ts";
import type { Command, OptionSpec, ParsedValues } from "../router.ts";
import { denomsOf } from "./chain-data.ts";
import { send } from "./privacy.ts";

const TX_OPTIONS: Record<string, OptionSpec> = {
  "no-wait": {
    type: "boolean",
    description: "return once the node accepts the tx, without waiting for its block",
  },
  ...NODE_OPTION,
};

const DESCRIPTION_OPTIONS: Record<string, OptionSpec> = {
  moniker: { type: "string", value: "<name>", description: "the validator's name (up to 70 characters)" },
  website: { type: "string", value: "<url>", description: "its website (up to 140 characters)" },
  details: { type: "string", value: "<text>", description: "a few words about it (up to 280 characters)" },
};

const AMOUNT_DETAILS =
  'Amounts are in the bond denomination: "5btt", "2.5btt" (up to 6 decimals) or "5000000ubtt".';

/** A keyring key's address, read without its passphrase. */
function addressOfKey(values: ParsedValues, name: string): string {
  checkKeyName(name);
  return keyringOf(homeOf(values)).get(name).address;
}

/** A ppm figure as a percentage: "105000" → "10.5%". */
export function ppmAsPercent(ppm: string | number): string {
  const n = BigInt(ppm);
  const whole = n / 10_000n;
  const fraction = (n % 10_000n).toString().padStart(4, "0").replace(/0+$/, "");
  return `${whole}${fraction ? `.${fraction}` : ""}%`;
}

/** The chain's bond denomination and its denominations' units, for reading and showing amounts. */
async function bondUnits(client: BttClient): Promise<{ bondDenom: string; denoms: DenomUnits[] }> {
  const [params, denoms] = await Promise.all([getStakingParams(client), denomsOf(client)]);
  return { bondDenom: params.bond_denom, denoms };
}

/** An amount typed by a person, which must be of the bond denomination. */
function bondAmount(text: string, units: { bondDenom: string; denoms: DenomUnits[] }, what = "amount") {
  const amount = parseUserAmount(text, units.denoms, what);
  if (amount.denom !== units.bondDenom) {
    throw new BttError(
      "INVALID_AMOUNT",
      `${what} "${text}" must be in ${units.bondDenom}, the bond denomination`,
      {
        [what]: text,
      },
    );
  }
  return { ...amount, shown: formatAmount(amount.amount, amount.denom, units.denoms) };
}

/** A validator that takes delegations: it exists and is not jailed. */
async function activeValidator(client: BttClient, operator: string, what: string): Promise<ValidatorJson> {
  decodeAddress(operator, what);
  const v = await getValidator(client, operator).catch((err: unknown) => {
    if ((err as { code?: string }).code === "NOT_FOUND") {
      throw new BttError(
        "NOT_FOUND",
        `no validator with operator ${operator} (see btt query staking validators)`,
        {
          validator: operator,
        },
      );
    }
    throw err;
  });
  if (v.jailed) {
    throw new BttError("UNAUTHORIZED", `validator ${operator} is jailed and takes no delegations`, {
      validator: operator,
    });
  }
  return v;
}

/** Refuses, before signing, to take back or move more than the key has delegated to `validator`. */
async function requireDelegated(
  client: BttClient,
  p: { validator: string; delegator: string; amount: bigint; shown: string },
  units: { bondDenom: string; denoms: DenomUnits[] },
): Promise<void> {
  const held = BigInt((await getDelegation(client, p.validator, p.delegator)).amount);
  if (p.amount > held) {
    const has = formatAmount(held, units.bondDenom, units.denoms);
    throw new BttError(
      "INSUFFICIENT_FUNDS",
      `${p.delegator} has ${has} delegated to ${p.validator}, less than ${p.shown}`,
      { validator: p.validator, delegator: p.delegator, delegated: held.toString() },
    );
  }
}

const createValidatorCommand: Command = {
  name: "create-validator",
  summary: "make a key a validator's operator, bonding its self-delegation",
  details: `The consensus key is the Ed25519 public key the validator signs blocks with: 64 hex digits,
or base64 (the pub_key value of CometBFT's priv_validator_key.json). Commission rates are
percentages (up to 4 decimals): the rate, its maximum (fixed for good) and the most it may change
at once. ${AMOUNT_DETAILS}`,
  args: [{ name: "from-key", description: "the operator's key in the keyring" }],
  options: {
    "consensus-pubkey": {
      type: "string",
      value: "<hex|base64>",
      description: "the consensus Ed25519 key (required)",
    },
    "self-delegation": {
      type: "string",
      value: "<amount>",
      description: "bonded from the operator's balance (required)",
    },
    commission: { type: "string", value: "<pct>", description: "the commission rate (default 10)" },
    "max-commission": {
      type: "string",
      value: "<pct>",
      description: "the most the rate may ever be (default 20, or the rate if higher)",
    },
    "max-change": {
      type: "string",
      value: "<pct>",
      description: "the most one edit may change the rate (default 1, or the maximum if lower)",
    },
    ...DESCRIPTION_OPTIONS,
    ...TX_OPTIONS,
  },
  run: async ({ args, values }) => {
    const [from] = args as [string];
    checkKeyName(from);
    const key = values["consensus-pubkey"] as string | undefined;
    const self = values["self-delegation"] as string | undefined;
    if (!key) throw new BttError("INVALID_PARAMS", "create-validator needs --consensus-pubkey <hex|base64>");
    if (!self) throw new BttError("INVALID_PARAMS", "create-validator needs --self-delegation <amount>");
    const rate = percentToPpm((values.commission as string | undefined) ?? "10", "--commission");
    const max = values["max-commission"]
      ? percentToPpm(values["max-commission"] as string, "--max-commission")
      : Math.max(rate, 200_000);
    const change = values["max-change"]
      ? percentToPpm(values["max-change"] as string, "--max-change")
      : Math.min(10_000, max);
    const operator = addressOfKey(values, from);
    const units = await withNode(nodeUrlOf(values), bondUnits);
    const amount = bondAmount(self, units, "--self-delegation");
    const message = staking.createValidator({
      consensusPubkey: key,
      selfDelegation: amount.amount,
      commissionRatePpm: rate,
      commissionMaxRatePpm: max,
      commissionMaxChangePpm: change,
      description: {
        moniker: (values.moniker as string | undefined) ?? from,
        website: (values.website as string | undefined) ?? "",
        details: (values.details as string | undefined) ?? "",
      },
    });
    await send(
      values,
      from,
      [message],
      `Created validator ${operator}, ${amount.shown} self-delegated, commission ${ppmAsPercent(rate)}`,
    );
  },
};

const editValidatorCommand: Command = {
  name: "edit-validator",
  summary: "change your validator's description or commission rate",
  details:
    "Description fields left out keep their value. The commission may change by at most the\n" +
    "validator's max change at once, and never above its maximum.",
  args: [{ name: "from-key", description: "the operator's key in the keyring" }],
  options: {
    commission: { type: "string", value: "<pct>", description: "the new commission rate" },
    ...DESCRIPTION_OPTIONS,
    ...TX_OPTIONS,
  },
  run: async ({ args, values }) => {
    const [from] = args as [string];
    const operator = addressOfKey(values, from);
    const rate =
      values.commission === undefined ? undefined : percentToPpm(values.commission as string, "--commission");
    const describes = ["moniker", "website", "details"].some((f) => values[f] !== undefined);
    if (rate === undefined && !describes) {
      throw new BttError(
        "INVALID_PARAMS",
        "edit-validator needs --commission, --moniker, --website or --details",
      );
    }
    const current = await withNode(nodeUrlOf(values), (client) => getValidator(client, operator)).catch(
      (err: unknown) => {
        if ((err as { code?: string }).code === "NOT_FOUND")
          throw new BttError("NOT_FOUND", `${from} (${operator}) operates no validator`, {
            validator: operator,
          });
        throw err;
      },
    );
    // The chain replaces the whole description: the fields not given are sent as they are.
    const description = describes
      ? {
          moniker: (values.moniker as string | undefined) ?? current.description.moniker,
          website: (values.website as string | undefined) ?? current.description.website,
          details: (values.details as string | undefined) ?? current.description.details,
        }
      : undefined;
    const message = staking.editValidator({
      ...(description ? { description } : {}),
      ...(rate !== undefined ? { commissionRatePpm: rate } : {}),
    });
    await send(values, from, [message], `Edited validator ${operator}`);
  },
};

const delegateCommand: Command = {
  name: "delegate",
  summary: "bond tokens to a validator",
  details: AMOUNT_DETAILS,
  args: [
    { name: "from-key", description: "the delegator's key in the keyring" },
    { name: "validator", description: "the validator's operator address" },
    { name: "amount", description: "e.g. 100btt or 100000000ubtt" },
  ],
  options: { ...TX_OPTIONS },
  run: async ({ args, values }) => {
    const [from, validator, amountText] = args as [string, string, string];
    addressOfKey(values, from);
    decodeAddress(validator, "validator");
    const amount = await withNode(nodeUrlOf(values), async (client) => {
      const units = await bondUnits(client);
      const a = bondAmount(amountText, units);
      await activeValidator(client, validator, "validator");
      return a;
    });
    await send(
      values,
      from,
      [staking.delegate({ validator, amount: amount.amount })],
      `Delegated ${amount.shown} from ${from} to ${validator}`,
    );
  },
};

const undelegateCommand: Command = {
  name: "undelegate",
  summary: "start unbonding tokens from a validator (paid back after the unbonding period)",
  details: AMOUNT_DETAILS,
  args: [
    { name: "from-key", description: "the delegator's key in the keyring" },
    { name: "validator", description: "the validator's operator address" },
    { name: "amount", description: "e.g. 50btt" },
  ],
  options: { ...TX_OPTIONS },
  run: async ({ args, values }) => {
    const [from, validator, amountText] = args as [string, string, string];
    const delegator = addressOfKey(values, from);
    decodeAddress(validator, "validator");
    const amount = await withNode(nodeUrlOf(values), async (client) => {
      const units = await bondUnits(client);
      const a = bondAmount(amountText, units);
      await requireDelegated(client, { validator, delegator, ...a }, units);
      return a;
    });
    await send(
      values,
      from,
      [staking.undelegate({ validator, amount: amount.amount })],
      `Undelegating ${amount.shown} of ${from} from ${validator}`,
    );
  },
};

const redelegateCommand: Command = {
  name: "redelegate",
  summary: "move bonded tokens from one validator to another, without unbonding",
  details: AMOUNT_DETAILS,
  args: [
    { name: "from-key", description: "the delegator's key in the keyring" },
    { name: "src-validator", description: "the validator the tokens leave" },
    { name: "dst-validator", description: "the validator they go to" },
    { name: "amount", description: "e.g. 50btt" },
  ],
  options: { ...TX_OPTIONS },
  run: async ({ args, values }) => {
    const [from, src, dst, amountText] = args as [string, string, string, string];
    const delegator = addressOfKey(values, from);
    decodeAddress(src, "src-validator");
    decodeAddress(dst, "dst-validator");
    if (src === dst) throw new BttError("INVALID_PARAMS", "src-validator and dst-validator are the same");
    const amount = await withNode(nodeUrlOf(values), async (client) => {
      const units = await bondUnits(client);
      const a = bondAmount(amountText, units);
      await activeValidator(client, dst, "dst-validator");
      await requireDelegated(client, { validator: src, delegator, ...a }, units);
      return a;
    });
    await send(
      values,
      from,
      [staking.redelegate({ srcValidator: src, dstValidator: dst, amount: amount.amount })],
      `Redelegated ${amount.shown} of ${from} from ${src} to ${dst}`,
    );
  },
};

const unjailCommand: Command = {
  name: "unjail",
  summary: "ask for your jailed validator to be a candidate again (after its jail period)",
  args: [{ name: "from-key", description: "the operator's key in the keyring" }],
  options: { ...TX_OPTIONS },
  run: async ({ args, values }) => {
    const [from] = args as [string];
    const operator = addressOfKey(values, from);
    await send(values, from, [staking.unjail()], `Unjailed validator ${operator}`);
  },
};

const setRatingCommand: Command = {
  name: "set-rating",
  summary: "as a regulator, set a validator's compliance rating C",
  details:
    "The rating is in ppm: a whole number from 0 to 1000000 (100%). The key must hold a valid\n" +
    "regulator credential (btt tx identity issue … regulator …).",
  args: [
    { name: "from-key", description: "the regulator's key in the keyring" },
    { name: "validator", description: "the validator's operator address" },
    { name: "ppm", description: "the rating, 0 to 1000000" },
  ],
  options: { ...TX_OPTIONS },
  run: async ({ args, values }) => {
    const [from, validator, ppmText] = args as [string, string, string];
    addressOfKey(values, from);
    decodeAddress(validator, "validator");
    if (!/^(0|[1-9][0-9]{0,6})$/.test(ppmText) || Number(ppmText) > 1_000_000) {
      throw new BttError(
        "INVALID_PARAMS",
        `rating "${ppmText}" must be a whole number of ppm from 0 to 1000000`,
      );
    }
    const ratingPpm = Number(ppmText);
    await send(
      values,
      from,
      [staking.setComplianceRating({ validator, ratingPpm })],
      `Rated validator ${validator} ${ppmAsPercent(ratingPpm)}`,
    );
  },
};

export const stakingTxCommand: Command = {
  name: "staking",
  summary: "validators and delegations",
  subcommands: [
    createValidatorCommand,
    editValidatorCommand,
    delegateCommand,
    undelegateCommand,
    redelegateCommand,
    unjailCommand,
    setRatingCommand,
  ],
};

// ---- queries ----

function validatorLines(v: ValidatorJson, denoms: DenomUnits[], bondDenom: string): string[] {
  const status = v.tombstoned
    ? "tombstoned"
    : v.jailed
      ? `jailed until block ${v.jailed_until ?? "?"}`
      : "bonded";
  return [
    `validator  ${v.operator}  ${v.description.moniker || "(no moniker)"}`,
    `  status      ${status}`,
    `  tokens      ${formatAmount(BigInt(v.tokens), bondDenom, denoms)} (${v.tokens}${bondDenom})`,
    `  commission  ${ppmAsPercent(v.commission_rate_ppm)} (max ${ppmAsPercent(v.commission_max_rate_ppm)}, change ≤ ${ppmAsPercent(v.commission_max_change_ppm)})`,
    `  rating      ${v.rating_ppm === null ? "not rated (the default applies)" : ppmAsPercent(v.rating_ppm)}`,
    `  consensus   ${v.consensus_pubkey}`,
    ...(v.description.website ? [`  website     ${v.description.website}`] : []),
    ...(v.description.details ? [`  details     ${v.description.details}`] : []),
  ];
}

const OPERATOR_ARG = { name: "operator", description: "the validator's operator address" };

const validatorsQuery: Command = {
  name: "validators",
  summary: "every validator, in operator address order",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    await withNode(nodeUrlOf(values), async (client) => {
      const [list, units] = await Promise.all([listValidators(client), bondUnits(client)]);
      const lines = list.map((v) =>
        `${v.operator}  ${formatAmount(BigInt(v.tokens), units.bondDenom, units.denoms)}  commission ${ppmAsPercent(v.commission_rate_ppm)}${v.jailed ? "  jailed" : ""}  ${v.description.moniker}`.trimEnd(),
      );
      emit(values, { validators: list }, list.length ? lines : "no validators");
    });
  },
};

const validatorQuery: Command = {
  name: "validator",
  summary: "one validator: tokens, commission, rating, jail status",
  args: [OPERATOR_ARG],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [operator] = args as [string];
    decodeAddress(operator, "operator");
    await withNode(nodeUrlOf(values), async (client) => {
      const [v, units] = await Promise.all([getValidator(client, operator), bondUnits(client)]);
      emit(values, v, validatorLines(v, units.denoms, units.bondDenom));
    });
  },
};

const delegationQuery: Command = {
  name: "delegation",
  summary: "what one account has bonded to one validator",
  args: [
    { name: "validator", description: "the validator's operator address" },
    { name: "delegator", description: "the delegating account's address" },
  ],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [validator, delegator] = args as [string, string];
    decodeAddress(validator, "validator");
    decodeAddress(delegator, "delegator");
    await withNode(nodeUrlOf(values), async (client) => {
      const [d, units] = await Promise.all([getDelegation(client, validator, delegator), bondUnits(client)]);
      const shown = formatAmount(BigInt(d.amount), units.bondDenom, units.denoms);
      emit(values, d, `${delegator} has ${shown} (${d.amount}${units.bondDenom}) delegated to ${validator}`);
    });
  },
};

const scoresQuery: Command = {
  name: "scores",
  summary: "each candidate's S, H, C and V, as the next epoch end would compute them",
  details: "V = wS·S + wH·H + wC·C (weights in btt query staking params); the active set is the top N by V.",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    const scores = await withNode(nodeUrlOf(values), getScores);
    emit(
      values,
      { scores },
      scores.length
        ? scores.map(
            (s) =>
              `${s.operator}  V ${ppmAsPercent(s.v_ppm)}  S ${ppmAsPercent(s.s_ppm)}  H ${ppmAsPercent(s.h_ppm)}  C ${ppmAsPercent(s.c_ppm)}`,
          )
        : "no candidates",
    );
  },
};

const signingInfoQuery: Command = {
  name: "signing-info",
  summary: "a validator's signing window (blocks missed) and jail status",
  args: [OPERATOR_ARG],
  options: { ...NODE_OPTION },
  run: async ({ args, values }) => {
    const [operator] = args as [string];
    decodeAddress(operator, "operator");
    const info = await withNode(nodeUrlOf(values), (client) => getSigningInfo(client, operator));
    emit(values, info, [
      `validator  ${info.operator} (consensus address ${info.consensus_address})`,
      `  missed    ${info.missed} of the last ${info.tracked} blocks tracked (window ${info.window})`,
      `  status    ${info.tombstoned ? "tombstoned" : info.jailed ? `jailed until block ${info.jailed_until ?? "?"}` : "not jailed"}`,
    ]);
  },
};

const rewardsPoolQuery: Command = {
  name: "rewards-pool",
  summary: "the pool paid to the active set at the next epoch end",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    await withNode(nodeUrlOf(values), async (client) => {
      const [pool, denoms] = await Promise.all([getRewardsPool(client), denomsOf(client)]);
      emit(
        values,
        pool,
        `rewards pool ${pool.address}: ${formatAmount(BigInt(pool.balance), pool.denom, denoms)} (${pool.balance}${pool.denom})`,
      );
    });
  },
};

const paramsQuery: Command = {
  name: "params",
  summary: "the staking parameters",
  options: { ...NODE_OPTION },
  run: async ({ values }) => {
    const params = await withNode(nodeUrlOf(values), getStakingParams);
    const width = Math.max(...Object.keys(params).map((k) => k.length)) + 2;
    emit(
      values,
      params,
      Object.entries(params).map(([k, v]) => `${k.padEnd(width)}${v}`),
    );
  },
};

export const stakingQueryCommand: Command = {
  name: "staking",
  summary: "validators, delegations and the validator score",
  subcommands: [
    validatorsQuery,
    validatorQuery,
    delegationQuery,
    scoresQuery,
    signingInfoQuery,
    rewardsPoolQuery,
    paramsQuery,
  ],
};
