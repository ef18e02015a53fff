// The SDK in a browser bundle: esbuild with platform=browser must resolve it without one node:
// import or node-only file, and the bundle must run where there is no Buffer, process or require.
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { build, type Metafile } from "esbuild";
import { describe, expect, test } from "vitest";
import { bank, signerFromMnemonic, signTransaction } from "../src/index.ts";

const entry = fileURLToPath(new URL("../src/index.ts", import.meta.url));
const MNEMONIC = "legal winner thank year wave sausage worth useful legal winner thank yellow";

describe("browser bundle", () => {
  test("builds for the browser without node built-ins, and runs without Buffer", async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "BttSdk",
      target: "es2022",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    const meta = result.metafile as Metafile;
    const inputs = Object.keys(meta.inputs);
    // The browser twin of the platform, not the node one; nothing node-only.
    expect(inputs.some((p) => p.endsWith("core/src/platform/browser.ts"))).toBe(true);
    expect(inputs.filter((p) => /platform\/node\.js|lmdb|node:|ed25519-native/.test(p))).toEqual([]);
    for (const input of Object.values(meta.inputs)) {
      for (const imp of input.imports) expect(imp.path).not.toMatch(/^node:/);
    }
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/\brequire\(\s*["']node:/);
    expect(code).not.toMatch(/(?<![\w.$])Buffer\.(from|alloc|allocUnsafe|concat|isBuffer)\(/);

    // Run it in a fresh realm with browser-like globals only.
    const sandbox: Record<string, unknown> = {
      TextEncoder,
      TextDecoder,
      crypto: globalThis.crypto,
      URLSearchParams,
      URL,
      AbortSignal,
      setTimeout,
      clearTimeout,
      console,
    };
    runInNewContext(`${code}\nglobalThis.BttSdk = BttSdk;`, sandbox);
    const sdk = sandbox.BttSdk as typeof import("../src/index.ts");
    expect(typeof (sandbox as { Buffer?: unknown }).Buffer).toBe("undefined");
    const out = runInNewContext(
      `(() => {
        const signer = sdk.signerFromMnemonic(mnemonic);
        const bob = sdk.signerFromMnemonic(mnemonic, { index: 1 });
        const signed = sdk.signTransaction(signer, {
          chainId: "btt-bundle-1",
          nonce: 4n,
          messages: [sdk.bank.send({ to: bob.address, amount: { denom: "ubtt", amount: "1.25", decimals: 6 } })],
          feeSchedule: sdk.parseFeeSchedule({ fee_denom: "ubtt", base_fee: "1000", fee_per_byte: "10" }),
        });
        const pq = sdk.signerFromMnemonic(mnemonic, { type: "ml-dsa-65" });
        return { address: signer.address, pq: pq.address, hash: signed.hash, json: JSON.stringify(sdk.txToJson(signed.tx)) };
      })()`,
      { sdk, mnemonic: MNEMONIC },
    ) as { address: string; pq: string; hash: string; json: string };

    // The same keys and the same tx, byte for byte, as the SDK on Node (node:crypto platform).
    const signer = signerFromMnemonic(MNEMONIC);
    const bob = signerFromMnemonic(MNEMONIC, { index: 1 });
    const signed = signTransaction(signer, {
      chainId: "btt-bundle-1",
      nonce: 4n,
      messages: [bank.send({ to: bob.address, amount: { denom: "ubtt", amount: "1.25", decimals: 6 } })],
      feeSchedule: { feeDenom: "ubtt", baseFee: 1000n, feePerByte: 10n, messageFees: new Map() },
    });
    expect(out.address).toBe(signer.address);
    expect(out.pq).toBe(signerFromMnemonic(MNEMONIC, { type: "ml-dsa-65" }).address);
    expect(out.hash).toBe(signed.hash);
  }, 30_000);
});
