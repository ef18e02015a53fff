// `btt worker`: runs a compute worker with a keyring key until Ctrl-C. When that key's account is
// not a registered node yet but holds a node_operator credential, it registers itself first (the
// operator and the worker are then one account) with a CPU declaration of this machine.
import { cpus } from "node:os";
import { join } from "node:path";
import { BttError, type Signer } from "@btt/core";
import { computeMsg, type Hardware } from "@btt/modules";
import {
  BttApiError,
  type BttClient,
  encryptionKeyFromSeed,
  generateMnemonic,
  signerFromMnemonic,
} from "@btt/sdk";
import { withNode } from "../client.ts";
import { emit, homeOf, keyringOf, NODE_OPTION, nodeUrlOf } from "../context.ts";
import { keyringPassphrase } from "../keyring/passphrase.ts";
import type { Command, ParsedValues } from "../router.ts";

/** A CPU core's rough dense throughput, milli-TFLOPS (about 50 GFLOPS with SIMD). */
const MILLI_TFLOPS_PER_CORE = 50n;

function cpuHardware(): Hardware {
  const cores = Math.max(1, cpus().length);
  return {
    accelerator: "cpu",
    gpuCount: 0,
    memoryGb: 0,
    tflopsMilli: MILLI_TFLOPS_PER_CORE * BigInt(cores),
    powerW: 15 * cores,
    cpuCores: cores,
  };
}

/** The worker's key from the keyring; in a dev home (dev passphrase in the env) it is created if missing. */
async function workerKey(values: ParsedValues, name: string): Promise<{ signer: Signer; seed: Uint8Array }> {
  const keyring = keyringOf(homeOf(values));
  if (!keyring.has(name)) {
    const signer = signerFromMnemonic(generateMnemonic(24));
    const passphrase = await keyringPassphrase({ key: name, creating: true });
    await keyring.add(name, signer.type, { seed: signer.seed }, passphrase);
  }
  const passphrase = await keyringPassphrase({ key: name, creating: false });
  const { signer, secret } = await keyring.unlock(name, passphrase);
  return { signer, seed: secret.seed };
}

/** Registers the key's own account as a node when it is not one and holds a node_operator credential. */
async function registerIfLicensed(
  client: BttClient,
  signer: Signer,
  seed: Uint8Array,
  values: ParsedValues,
): Promise<string> {
  try {
    await client.query("compute", "node", { worker: signer.address });
    return "registered";
  } catch (err) {
    if (!(err instanceof BttApiError && err.status === 404)) throw err;
  }
  const { credentials } = (await client.query("identity", "credentials", { subject: signer.address })) as {
    credentials: Array<{ type: string; jurisdiction: string; valid: boolean }>;
  };
  const licence = credentials.find((c) => c.type === "node_operator" && c.valid);
  if (!licence) return "not registered (no node_operator credential: an operator must register it)";
  const params = (await client.query("compute", "params")) as { min_bond: string };
  await client.signAndSubmit(signer, [
    computeMsg.registerNode({
      worker: signer.address,
      encryptionKey: encryptionKeyFromSeed(seed).publicKey,
      hardware: cpuHardware(),
      jurisdiction: (values.jurisdiction as string | undefined) ?? licence.jurisdiction,
      region: (values.region as string | undefined) ?? "",
      bond: BigInt((values.bond as string | undefined) ?? params.min_bond),
      price: BigInt((values.price as string | undefined) ?? "1000"),
      capacity: Number(values.capacity ?? 1),
    }),
  ]);
  return "registered now";
}

export const workerCommand: Command = {
  name: "worker",
  summary: "run a compute worker (benchmark, heartbeats, assignments) until Ctrl-C",
  details:
    "The worker's key comes from the keyring (--key, created if missing). If its account is not a\n" +
    "registered node and holds a node_operator credential, it registers itself with a CPU declaration.",
  options: {
    ...NODE_OPTION,
    key: { type: "string", value: "<name>", description: "keyring key of the worker (default: worker)" },
    capacity: { type: "string", value: "<n>", description: "slots computed at once (default 1)" },
    "state-dir": {
      type: "string",
      value: "<dir>",
      description: "owed reveals (default: <home>/worker/<key>)",
    },
    jurisdiction: {
      type: "string",
      value: "<CC>",
      description: "when registering (default: the credential's)",
    },
    region: { type: "string", value: "<region>", description: "when registering" },
    bond: { type: "string", value: "<ubtt>", description: "when registering (default: the minimum)" },
    price: { type: "string", value: "<ubtt>", description: "per slot, when registering (default 1000)" },
  },
  run: async ({ values }) => {
    const name = (values.key as string | undefined) ?? "worker";
    const capacity = Number(values.capacity ?? 1);
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new BttError("INVALID_PARAMS", "--capacity must be ≥ 1");
    const { signer, seed } = await workerKey(values, name);
    const url = nodeUrlOf(values);
    const registration = await withNode(url, (client) => registerIfLicensed(client, signer, seed, values));
    // Loaded here: the model runtime would slow every other command's start.
    const { WorkerAgent } = await import("@btt/worker");
    const agent = new WorkerAgent({
      apiUrl: url,
      signer,
      encryptionKey: encryptionKeyFromSeed(seed),
      stateDir: (values["state-dir"] as string | undefined) ?? join(homeOf(values), "worker", name),
      capacity,
    });
    await agent.start();
    emit(values, { worker: signer.address, node: registration, capacity }, [
      `Worker ${signer.address} (${registration}), capacity ${capacity}; Ctrl-C stops it`,
    ]);
    const stop = () => void agent.stop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await agent.done;
  },
};
