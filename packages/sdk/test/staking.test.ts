// The SDK's staking calls: builders refuse bad input before signing and build what the chain's own
// check accepts; against a real node and API, a validator created, delegated to, edited, rated,
// undelegated from and redelegated away from, each step read back through the typed queries.
import { type RunningApi, startApi } from "@btt/api";
import { toHex } from "@btt/core";
import { Application, type BttNode, SoloDriver } from "@btt/node";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  BttClient,
  consensusKeyBytes,
  getDelegation,
  getRewardsPool,
  getScores,
  getSigningInfo,
  getStakingParams,
  getValidator,
  identity,
  listValidators,
  MESSAGE_SCHEMAS,
  messageToJson,
  percentToPpm,
  signerFromMnemonic,
  signTransaction,
  staking,
  TxFailedError,
  txToJson,
} from "../src/index.ts";
import { codeOf, devGenesis, openTestNode } from "./helpers.ts";

const MNEMONIC = "letter advice cage absurd amount doctor acoustic avoid letter advice cage above";
const operator = signerFromMnemonic(MNEMONIC, { index: 11 });
const second = signerFromMnemonic(MNEMONIC, { index: 12 });
const delegator = signerFromMnemonic(MNEMONIC, { index: 13 });
const regulator = signerFromMnemonic(MNEMONIC, { index: 14 });
const devValidator = signerFromMnemonic(MNEMONIC, { index: 99 });
const KEY_A = new Uint8Array(32).fill(7);
const KEY_B = new Uint8Array(32).fill(8);
const CREATE = {
  consensusPubkey: KEY_A,
  selfDelegation: 5_000_000n,
  commissionRatePpm: 100_000,
  commissionMaxRatePpm: 200_000,
  commissionMaxChangePpm: 10_000,
  description: { moniker: "clinic-node" },
};

describe("staking builders", () => {
  const stakingModule = new Application("btt-sdk-staking").modules.find((m) => m.name === "staking")!;
  /** The chain's own stateless check of a message (what the mempool runs). */
  const chainValidate = (m: { type: string; value: Uint8Array }) => {
    const type = stakingModule.messages.find((t) => t.type === m.type)!;
    type.validate(fromBinary(type.schema, m.value) as never, { sender: delegator.address } as never);
  };

  test("build messages the chain's stateless check accepts, JSON-encodable for the API", () => {
    const built = [
      staking.createValidator(CREATE),
      staking.editValidator({ description: { moniker: "renamed" } }),
      staking.editValidator({ commissionRatePpm: 110_000 }),
      staking.delegate({ validator: operator.address, amount: "1000" }),
      staking.undelegate({ validator: operator.address, amount: 1n }),
      staking.redelegate({ srcValidator: operator.address, dstValidator: second.address, amount: 5n }),
      staking.unjail(),
      staking.setComplianceRating({ validator: operator.address, ratingPpm: 1_000_000 }),
    ];
    for (const m of built) {
      expect(codeOf(() => chainValidate(m))).toBe("no error");
      expect(MESSAGE_SCHEMAS.has(m.type)).toBe(true);
    }
    expect(messageToJson(built[0]!)).toMatchObject({
      type: "staking/CreateValidator",
      value: {
        consensus_pubkey: Buffer.from(KEY_A).toString("base64"),
        self_delegation: "5000000",
        commission_rate_ppm: 100000,
        description: { moniker: "clinic-node" },
      },
    });
    expect(messageToJson(built[3]!)).toEqual({
      type: "staking/Delegate",
      value: { validator: operator.address, amount: "1000" },
    });
  });

  test("refuse bad input before signing, naming the field", () => {
    expect(codeOf(() => staking.createValidator({ ...CREATE, consensusPubkey: new Uint8Array(31) }))).toBe(
      "INVALID_MESSAGE",
    );
    expect(() => staking.createValidator({ ...CREATE, commissionRatePpm: 300_000 })).toThrow(
      /above its maximum/,
    );
    expect(() => staking.createValidator({ ...CREATE, commissionMaxChangePpm: 250_000 })).toThrow(
      /commissionMaxChangePpm/,
    );
    expect(() => staking.createValidator({ ...CREATE, commissionMaxRatePpm: 1_000_001 })).toThrow(
      /commissionMaxRatePpm must be a whole number of ppm/,
    );
    expect(() => staking.createValidator({ ...CREATE, commissionRatePpm: 0.5 })).toThrow(/commissionRatePpm/);
    expect(codeOf(() => staking.createValidator({ ...CREATE, selfDelegation: 0n }))).toBe("INVALID_AMOUNT");
    expect(() => staking.createValidator({ ...CREATE, description: { moniker: "m".repeat(71) } })).toThrow(
      /description.moniker/,
    );
    expect(() => staking.editValidator({})).toThrow(/description, the commission rate or both/);
    expect(codeOf(() => staking.delegate({ validator: "btt1nope", amount: 1n }))).toBe("INVALID_ADDRESS");
    expect(codeOf(() => staking.undelegate({ validator: operator.address, amount: "1.5" }))).toBe(
      "INVALID_AMOUNT",
    );
    expect(() =>
      staking.redelegate({ srcValidator: operator.address, dstValidator: operator.address, amount: 1n }),
    ).toThrow(/the same/);
    expect(() => staking.setComplianceRating({ validator: operator.address, ratingPpm: 1_000_001 })).toThrow(
      /ratingPpm/,
    );
    expect(() => staking.setComplianceRating({ validator: operator.address, ratingPpm: -1 })).toThrow(
      /ratingPpm/,
    );
  });

  test("read percentages and consensus keys exactly", () => {
    expect(percentToPpm("10")).toBe(100_000);
    expect(percentToPpm("2.5%")).toBe(25_000);
    expect(percentToPpm("0.0001")).toBe(1);
    expect(percentToPpm("100")).toBe(1_000_000);
    expect(() => percentToPpm("100.0001")).toThrow(/above 100%/);
    expect(() => percentToPpm("0.00001")).toThrow(/at most 4 decimals/);
    expect(() => percentToPpm("-1")).toThrow(/percentage/);
    expect(() => percentToPpm("ten")).toThrow(/percentage/);
    const hex = toHex(KEY_B);
    expect(toHex(consensusKeyBytes(hex))).toBe(hex);
    expect(toHex(consensusKeyBytes(hex.toUpperCase()))).toBe(hex);
    expect(toHex(consensusKeyBytes(Buffer.from(KEY_B).toString("base64")))).toBe(hex);
    expect(() => consensusKeyBytes(hex.slice(2))).toThrow(/32-byte Ed25519 key/);
    expect(() => consensusKeyBytes("zz".repeat(32))).toThrow(/32-byte Ed25519 key/);
  });
});

describe("staking against a node", () => {
  const CHAIN = "btt-sdk-staking-1";
  let testNode: ReturnType<typeof openTestNode>;
  let node: BttNode;
  let driver: SoloDriver;
  let api: RunningApi;
  let client: BttClient;

  beforeAll(async () => {
    const genesis = devGenesis(CHAIN, devValidator, [
      { signer: operator, ubtt: 50_000_000n },
      { signer: second, ubtt: 50_000_000n },
      { signer: delegator, ubtt: 50_000_000n },
      { signer: regulator, ubtt: 50_000_000n },
    ]);
    testNode = openTestNode("staking", genesis, 50);
    node = testNode.node;
    driver = new SoloDriver(node, {
      blockIntervalMs: 0,
      limits: { maxTxs: 1000, maxBytes: 1 << 22 },
      proposer: devValidator.address,
    });
    driver.produce();
    driver.start();
    api = await startApi(node, { port: 0, logger: false, rateLimit: { max: 0, windowMs: 60_000 } });
    client = new BttClient({ url: api.url, chainId: CHAIN });
  });
  afterAll(async () => {
    driver?.stop();
    await api?.close();
    await testNode?.close();
  });

  test("params, and no validator before one is created", async () => {
    const params = await getStakingParams(client);
    expect(params.bond_denom).toBe("ubtt");
    expect(params.weight_stake_ppm + params.weight_reliability_ppm + params.weight_compliance_ppm).toBe(
      1_000_000,
    );
    expect(await listValidators(client)).toEqual([]);
    await expect(getValidator(client, operator.address)).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  test("a validator created, delegated to and read back", async () => {
    await client.signAndSubmit(operator, [staking.createValidator(CREATE)]);
    const v = await getValidator(client, operator.address);
    expect(v).toMatchObject({
      operator: operator.address,
      consensus_pubkey: toHex(KEY_A),
      description: { moniker: "clinic-node", website: "", details: "" },
      commission_rate_ppm: "100000",
      commission_max_rate_ppm: "200000",
      tokens: "5000000",
      jailed: false,
      rating_ppm: null,
      tombstoned: false,
    });
    expect((await listValidators(client)).map((x) => x.operator)).toEqual([operator.address]);

    await client.signAndSubmit(delegator, [
      staking.delegate({ validator: operator.address, amount: 2_000_000n }),
    ]);
    expect(await getDelegation(client, operator.address, delegator.address)).toEqual({
      validator: operator.address,
      delegator: delegator.address,
      amount: "2000000",
    });
    expect((await getDelegation(client, operator.address, operator.address)).amount).toBe("5000000");
    expect((await getValidator(client, operator.address)).tokens).toBe("7000000");

    // One candidate: all the stake (S = 100%), a newcomer's H = 100%, the default C = 50%.
    const [score] = await getScores(client);
    expect(score).toEqual({
      operator: operator.address,
      s_ppm: "1000000",
      h_ppm: "1000000",
      c_ppm: "500000",
      v_ppm: "875000",
    });
    const info = await getSigningInfo(client, operator.address);
    expect(info).toMatchObject({ operator: operator.address, missed: 0, jailed: false, tombstoned: false });
    expect(info.consensus_address).toMatch(/^[0-9A-F]{40}$/);
    const pool = await getRewardsPool(client);
    expect(pool.denom).toBe("ubtt");
    expect(BigInt(pool.balance)).toBeGreaterThanOrEqual(0n);
  });

  test("edited, rated by a regulator, undelegated from and redelegated away from", async () => {
    await client.signAndSubmit(operator, [
      staking.editValidator({ description: { moniker: "renamed", website: "https://example.org" } }),
    ]);
    await client.signAndSubmit(operator, [staking.editValidator({ commissionRatePpm: 105_000 })]);
    expect(await getValidator(client, operator.address)).toMatchObject({
      description: { moniker: "renamed", website: "https://example.org" },
      commission_rate_ppm: "105000",
    });

    // Not a regulator yet: refused by the chain.
    const rate = staking.setComplianceRating({ validator: operator.address, ratingPpm: 900_000 });
    await expect(client.signAndSubmit(regulator, [rate])).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    // The first funded account (the operator) is every credential type's root authority.
    await client.signAndSubmit(operator, [
      identity.issueCredential({
        subject: regulator.address,
        type: "regulator",
        jurisdiction: "DE",
        expiresAtMs: BigInt(Date.parse("2090-01-01")),
      }),
    ]);
    await client.signAndSubmit(regulator, [
      staking.setComplianceRating({ validator: operator.address, ratingPpm: 900_000 }),
    ]);
    expect((await getValidator(client, operator.address)).rating_ppm).toBe("900000");

    const above = staking.undelegate({ validator: operator.address, amount: 2_000_001n });
    const refused = await client.signAndSubmit(delegator, [above]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TxFailedError);
    expect((refused as TxFailedError).code).toBe("INSUFFICIENT_FUNDS");
    await client.signAndSubmit(delegator, [
      staking.undelegate({ validator: operator.address, amount: 500_000n }),
    ]);
    expect((await getDelegation(client, operator.address, delegator.address)).amount).toBe("1500000");

    await client.signAndSubmit(second, [staking.createValidator({ ...CREATE, consensusPubkey: KEY_B })]);
    await client.signAndSubmit(delegator, [
      staking.redelegate({
        srcValidator: operator.address,
        dstValidator: second.address,
        amount: 1_000_000n,
      }),
    ]);
    expect((await getDelegation(client, operator.address, delegator.address)).amount).toBe("500000");
    expect((await getDelegation(client, second.address, delegator.address)).amount).toBe("1000000");
    expect((await listValidators(client)).map((x) => x.operator).sort()).toEqual(
      [operator.address, second.address].sort(),
    );

    // The same kind of message as a JSON tx: the SDK knows the staking schemas, the API re-encodes it.
    const account = await client.account(delegator.address);
    const signed = signTransaction(delegator, {
      chainId: CHAIN,
      nonce: BigInt(account.nonce),
      messages: [staking.delegate({ validator: second.address, amount: 250_000n })],
      feeSchedule: await client.feeSchedule(),
      includePublicKey: false,
    });
    const viaJson = await client.submit(txToJson(signed.tx), { wait: true });
    expect([viaJson.hash, viaJson.code]).toEqual([signed.hash, 0]);
    expect((await getDelegation(client, second.address, delegator.address)).amount).toBe("1250000");

    const unknown = staking.delegate({ validator: delegator.address, amount: 1n });
    await expect(client.signAndSubmit(delegator, [unknown])).rejects.toMatchObject({ code: "NOT_FOUND" });
    // A second validator with a consensus key already in use.
    const dup = staking.createValidator({ ...CREATE, consensusPubkey: KEY_A });
    await expect(client.signAndSubmit(delegator, [dup])).rejects.toMatchObject({ code: "CONFLICT" });
  });
});
