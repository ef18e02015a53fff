import { readFileSync } from "node:fs";
import { BttError, type Signer } from "@btt/core";
import {
  generateMnemonic,
  normalizeMnemonic,
  signerFromMnemonic,
  signerFromSeedHex,
  validateMnemonic,
} from "@btt/sdk";
import { emit, homeOf, keyringOf } from "../context.ts";
import { KEY_TYPES, type KeyFile, type KeySecret, type KeyType } from "../keyring/key-file.ts";
import { checkKeyName, type Keyring } from "../keyring/keyring.ts";
import { keyringPassphrase, promptHidden, readStdin } from "../keyring/passphrase.ts";
import type { Command, ParsedValues } from "../router.ts";

const NAME_ARG = [{ name: "name", description: "the key's name in the keyring" }];
const TYPE_OPTION = {
  type: {
    type: "string",
    value: "<type>",
    description: "key type: ed25519 (default) or ml-dsa-65 (post-quantum)",
    default: "ed25519",
  },
} as const;

function keyTypeOf(values: ParsedValues): KeyType {
  const type = values.type as string;
  if (!KEY_TYPES.includes(type as KeyType)) {
    throw new BttError("INVALID_PARAMS", `--type "${type}" must be one of ${KEY_TYPES.join(", ")}`);
  }
  return type as KeyType;
}

/** Opens the keyring of the invocation's home and checks the name, before any prompt. */
function keyringFor(values: ParsedValues, name: string): Keyring {
  checkKeyName(name);
  return keyringOf(homeOf(values));
}

const describe = (f: KeyFile) => ({ name: f.name, type: f.type, address: f.address });

async function readMnemonic(): Promise<string> {
  const text = process.stdin.isTTY ? await promptHidden("Mnemonic: ") : await readStdin();
  return checkedMnemonic(text, "stdin");
}

function checkedMnemonic(text: string, from: string): string {
  const mnemonic = normalizeMnemonic(text);
  if (mnemonic === "") throw new BttError("INVALID_PARAMS", `no mnemonic on ${from}`);
  if (!validateMnemonic(mnemonic)) {
    throw new BttError(
      "INVALID_PARAMS",
      `the mnemonic from ${from} is not a valid English BIP-39 phrase (unknown word or bad checksum)`,
    );
  }
  return mnemonic;
}

/** Seals a signer into the keyring and prints what a person needs to use it. */
async function store(keyring: Keyring, name: string, signer: Signer, secret: KeySecret) {
  const passphrase = await keyringPassphrase({ key: name, creating: true });
  return keyring.add(name, signer.type, secret, passphrase);
}

const addCommand: Command = {
  name: "add",
  summary: "create a key from a new 24-word mnemonic (printed once), or recover one",
  details:
    "The passphrase comes from $BTT_KEYRING_PASSPHRASE, else it is asked twice on the terminal.\n" +
    "With --recover the mnemonic is read from stdin (asked without echo on a terminal).",
  args: NAME_ARG,
  options: {
    ...TYPE_OPTION,
    recover: { type: "boolean", description: "recover the key from an existing mnemonic" },
  },
  run: async ({ args, values }) => {
    const [name] = args as [string];
    const keyring = keyringFor(values, name);
    const type = keyTypeOf(values);
    // Before any prompt: a taken name should not cost the user a typed mnemonic.
    if (keyring.has(name)) throw new BttError("INVALID_PARAMS", `a key named "${name}" already exists`);
    const recovered = values.recover ? await readMnemonic() : undefined;
    const mnemonic = recovered ?? generateMnemonic(24);
    const signer = signerFromMnemonic(mnemonic, { type });
    const file = await store(keyring, name, signer, { seed: signer.seed, mnemonic });
    const shown = recovered ? {} : { mnemonic };
    emit(values, { ...describe(file), public_key: file.public_key, ...shown }, [
      `Added key ${name} (${type}): ${file.address}`,
      ...(recovered
        ? []
        : [
            "",
            "Mnemonic (write it down and keep it offline; it recovers the key and is not shown again):",
            "",
            `  ${mnemonic}`,
          ]),
    ]);
  },
};

const listCommand: Command = {
  name: "list",
  summary: "the keys in the keyring: name, type, address",
  run: async ({ values }) => {
    const keys = keyringOf(homeOf(values)).list();
    const width = Math.max(4, ...keys.map((k) => k.name.length)) + 2;
    emit(
      values,
      { keys: keys.map(describe) },
      keys.length === 0
        ? "no keys; add one with btt keys add <name>"
        : keys.map((k) => `${k.name.padEnd(width)}${k.type.padEnd(11)}${k.address}`),
    );
  },
};

const showCommand: Command = {
  name: "show",
  summary: "a key's address, type and public key (no passphrase needed)",
  args: NAME_ARG,
  options: { address: { type: "boolean", description: "print the address only (for scripts)" } },
  run: async ({ args, values }) => {
    const [name] = args as [string];
    const file = keyringFor(values, name).get(name);
    if (values.address && !values.json) {
      console.log(file.address);
      return;
    }
    emit(values, { ...describe(file), public_key: file.public_key, created_at: file.created_at }, [
      `name        ${file.name}`,
      `type        ${file.type}`,
      `address     ${file.address}`,
      `public key  ${file.public_key.length > 80 ? `${file.public_key.slice(0, 64)}… (${file.public_key.length / 2} bytes)` : file.public_key}`,
      `created     ${file.created_at}`,
    ]);
  },
};

const exportCommand: Command = {
  name: "export",
  summary: "print a key's mnemonic (or its seed) after its passphrase",
  details:
    "Prints the mnemonic when the key has one, else the 32-byte seed in hex. Anyone who sees it owns the key.",
  args: NAME_ARG,
  options: { seed: { type: "boolean", description: "print the seed in hex even when there is a mnemonic" } },
  run: async ({ args, values }) => {
    const [name] = args as [string];
    const keyring = keyringFor(values, name);
    keyring.get(name);
    const passphrase = await keyringPassphrase({ key: name, creating: false });
    const { file, secret } = await keyring.unlock(name, passphrase);
    const seedHex = Buffer.from(secret.seed).toString("hex");
    const useSeed = values.seed || !secret.mnemonic;
    emit(
      values,
      { ...describe(file), ...(secret.mnemonic ? { mnemonic: secret.mnemonic } : {}), seed: seedHex },
      useSeed ? seedHex : secret.mnemonic!,
    );
  },
};

const importCommand: Command = {
  name: "import",
  summary: "add a key from a mnemonic (stdin or file) or a seed in hex",
  details:
    "Without --mnemonic-file or --seed-hex, the mnemonic is read from stdin (asked without echo on a terminal).\n" +
    "A seed is the 32-byte key seed that `btt keys export --seed` prints.",
  args: NAME_ARG,
  options: {
    ...TYPE_OPTION,
    "mnemonic-file": { type: "string", value: "<path>", description: "read the mnemonic from this file" },
    "seed-hex": {
      type: "string",
      value: "<hex>",
      description: 'the 32-byte key seed in hex ("-": read it from stdin)',
    },
  },
  run: async ({ args, values }) => {
    const [name] = args as [string];
    const keyring = keyringFor(values, name);
    const type = keyTypeOf(values);
    // Before any prompt: a taken name should not cost the user a typed mnemonic.
    if (keyring.has(name)) throw new BttError("INVALID_PARAMS", `a key named "${name}" already exists`);
    const file = values["mnemonic-file"] as string | undefined;
    const seedHex = values["seed-hex"] as string | undefined;
    if (file !== undefined && seedHex !== undefined) {
      throw new BttError("INVALID_PARAMS", "give --mnemonic-file or --seed-hex, not both");
    }
    let signer: Signer;
    let mnemonic: string | undefined;
    if (seedHex !== undefined) {
      signer = signerFromSeedHex(seedHex === "-" ? await readStdin() : seedHex, type);
    } else {
      if (file !== undefined) {
        let text: string;
        try {
          text = readFileSync(file, "utf8");
        } catch (err) {
          throw new BttError(
            "NOT_FOUND",
            `cannot read --mnemonic-file ${file}: ${(err as NodeJS.ErrnoException).code}`,
          );
        }
        mnemonic = checkedMnemonic(text, file);
      } else {
        mnemonic = await readMnemonic();
      }
      signer = signerFromMnemonic(mnemonic, { type });
    }
    const stored = await store(keyring, name, signer, {
      seed: signer.seed,
      ...(mnemonic ? { mnemonic } : {}),
    });
    emit(
      values,
      { ...describe(stored), public_key: stored.public_key },
      `Imported key ${name} (${type}): ${stored.address}`,
    );
  },
};

const deleteCommand: Command = {
  name: "delete",
  summary: "remove a key from the keyring (asks for its passphrase first)",
  args: NAME_ARG,
  run: async ({ args, values }) => {
    const [name] = args as [string];
    const keyring = keyringFor(values, name);
    keyring.get(name);
    // The passphrase proves the key is the caller's to delete, and stops a slip of the finger.
    await keyring.unlock(name, await keyringPassphrase({ key: name, creating: false }));
    keyring.delete(name);
    emit(values, { deleted: name }, `Deleted key ${name}`);
  },
};

export const keysCommand: Command = {
  name: "keys",
  summary: "manage the encrypted keyring (<home>/keyring)",
  subcommands: [addCommand, listCommand, showCommand, exportCommand, importCommand, deleteCommand],
};
