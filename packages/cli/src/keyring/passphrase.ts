import { BttError } from "@btt/core";

export const PASSPHRASE_ENV = "BTT_KEYRING_PASSPHRASE";
/** The passphrase `btt init` seals the demo keys with when BTT_KEYRING_PASSPHRASE is unset. Dev chains only. */
export const DEV_PASSPHRASE = "btt-dev-keyring";
export const MIN_PASSPHRASE_LENGTH = 8;

/**
 * The keyring passphrase: BTT_KEYRING_PASSPHRASE when set, else asked on the terminal without
 * echo (twice when it seals a new key). Never asked when stdin is not a terminal, so scripts
 * fail with a reason instead of hanging.
 */
export async function keyringPassphrase(opts: { key: string; creating: boolean }): Promise<string> {
  const fromEnv = process.env[PASSPHRASE_ENV];
  let passphrase: string;
  if (fromEnv !== undefined && fromEnv !== "") {
    passphrase = fromEnv;
  } else {
    if (!process.stdin.isTTY) {
      throw new BttError(
        "UNAUTHORIZED",
        `no passphrase for key ${opts.key}: set ${PASSPHRASE_ENV} or run btt in a terminal`,
        { key: opts.key },
      );
    }
    passphrase = await promptHidden(`Passphrase for key ${opts.key}: `);
    if (opts.creating) {
      const again = await promptHidden("Repeat the passphrase: ");
      if (again !== passphrase) throw new BttError("UNAUTHORIZED", "the two passphrases differ");
    }
  }
  if (opts.creating && [...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    throw new BttError(
      "UNAUTHORIZED",
      `a keyring passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
  return passphrase;
}

/** Reads a line from the terminal without echoing it (raw mode, so nothing typed is shown). */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let text = "";
    const finish = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(text);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new BttError("UNAUTHORIZED", "cancelled"));
        if (ch === "\u0004" && text === "") return finish(new BttError("UNAUTHORIZED", "cancelled"));
        if (ch === "\u007f" || ch === "\b") text = [...text].slice(0, -1).join("");
        else if (ch >= " ") text += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on("data", onData);
  });
}

/** All of stdin as text (a mnemonic or seed piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
