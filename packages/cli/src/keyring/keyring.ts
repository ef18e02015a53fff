import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { BttError, ed25519Signer, mlDsa65Signer, type Signer, toHex } from "@btt/core";
import {
  type KeyFile,
  type KeySecret,
  type KeyType,
  openKeyFile,
  sealKeyFile,
  validateKeyFile,
} from "./key-file.ts";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkKeyName(name: string): void {
  if (!NAME_PATTERN.test(name)) {
    throw new BttError(
      "INVALID_PARAMS",
      `key name "${name}" must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit`,
      { name },
    );
  }
}

/** The signer of a key type from its 32-byte seed. */
export function signerFromSeed(type: KeyType, seed: Uint8Array): Signer {
  return type === "ed25519" ? ed25519Signer(seed) : mlDsa65Signer(seed);
}

export function rawPublicKey(signer: Signer): Uint8Array {
  const key = signer.publicKey.key;
  if (key.case !== "ed25519" && key.case !== "mlDsa65")
    throw new BttError("INVALID_MESSAGE", "not a single key");
  return key.value;
}

/** The encrypted keys of a home: one `<name>.json` per key in `<home>/keyring`. */
export class Keyring {
  constructor(readonly dir: string) {}

  path(name: string): string {
    checkKeyName(name);
    return join(this.dir, `${name}.json`);
  }

  has(name: string): boolean {
    return existsSync(this.path(name));
  }

  /** A key's file, public fields readable without the passphrase. */
  get(name: string): KeyFile {
    const path = this.path(name);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new BttError("NOT_FOUND", `no key named "${name}" in ${this.dir}; see btt keys list`, {
          key: name,
        });
      }
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      raw = null;
    }
    return validateKeyFile(raw, name);
  }

  list(): KeyFile[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith(".json") && NAME_PATTERN.test(f.slice(0, -5)))
      .map((f) => f.slice(0, -5))
      .sort()
      .map((name) => this.get(name));
  }

  /** Seals a new key under a passphrase; refuses to overwrite one of the same name. */
  async add(name: string, type: KeyType, secret: KeySecret, passphrase: string): Promise<KeyFile> {
    const path = this.path(name);
    if (existsSync(path)) {
      throw new BttError(
        "INVALID_PARAMS",
        `a key named "${name}" already exists; delete it first or pick another name`,
        {
          key: name,
        },
      );
    }
    const signer = signerFromSeed(type, secret.seed);
    const file = await sealKeyFile(
      { name, type, address: signer.address, publicKey: toHex(rawPublicKey(signer)) },
      secret,
      passphrase,
    );
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    // Write then rename, so a crash never leaves half a key file under the key's name.
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, path);
    return file;
  }

  /** Opens a key with its passphrase: its signer and secret. */
  async unlock(
    name: string,
    passphrase: string,
  ): Promise<{ file: KeyFile; signer: Signer; secret: KeySecret }> {
    const file = this.get(name);
    const secret = await openKeyFile(file, passphrase);
    const signer = signerFromSeed(file.type, secret.seed);
    if (signer.address !== file.address) {
      throw new BttError(
        "INVALID_MESSAGE",
        `key file for ${name} is damaged: its seed does not give its address`,
        {
          key: name,
        },
      );
    }
    return { file, signer, secret };
  }

  delete(name: string): void {
    this.get(name);
    rmSync(this.path(name));
  }
}
