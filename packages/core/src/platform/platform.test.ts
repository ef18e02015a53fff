// The two platform files must be interchangeable: same bytes out for the same bytes in. First the
// primitives side by side, then the whole of @btt/core loaded twice, once on each platform.
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import * as browserPlatform from "./browser.ts";
import * as nodePlatform from "./node.js";

// Type-level check that each file offers what the other does.
const platforms: Record<"node" | "browser", typeof nodePlatform> = {
  node: nodePlatform,
  browser: browserPlatform,
};
const _reverse: typeof browserPlatform = nodePlatform;
void _reverse;

const hex = (b: Uint8Array) => nodePlatform.bytesToHex(b);
const bytes = (h: string) => nodePlatform.hexToBytes(h);

describe("platform primitives agree", () => {
  test("SHA-256: published vector, and any parts", () => {
    for (const p of Object.values(platforms)) {
      expect(hex(p.sha256(new TextEncoder().encode("abc")))).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      );
      expect(hex(p.sha256())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 4 }), (parts) => {
        const joined = Uint8Array.from(parts.flatMap((p) => [...p]));
        const want = hex(nodePlatform.sha256(joined));
        expect(hex(nodePlatform.sha256(...parts))).toBe(want);
        expect(hex(browserPlatform.sha256(...parts))).toBe(want);
        expect(hex(browserPlatform.sha256(joined))).toBe(want);
      }),
    );
  });

  test("hex and byte comparison", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 }), (a, b) => {
        const h = nodePlatform.bytesToHex(a);
        expect(browserPlatform.bytesToHex(a)).toBe(h);
        expect([...browserPlatform.hexToBytes(h)]).toEqual([...a]);
        expect([...nodePlatform.hexToBytes(h)]).toEqual([...a]);
        expect(browserPlatform.bytesEqual(a, b)).toBe(nodePlatform.bytesEqual(a, b));
        expect(browserPlatform.bytesEqual(a, Uint8Array.from(a))).toBe(true);
        expect(nodePlatform.bytesEqual(a, Uint8Array.from(a))).toBe(true);
      }),
    );
  });

  test("Ed25519: RFC 8032 test 1 on both", () => {
    const seed = bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    const publicKey = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const signature =
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";
    for (const p of Object.values(platforms)) {
      const pair = p.ed25519KeyPair(seed);
      expect(hex(pair.publicKey)).toBe(publicKey);
      expect(hex(pair.sign(new Uint8Array(0)))).toBe(signature);
      expect(p.ed25519Verify(bytes(publicKey), new Uint8Array(0), bytes(signature))).toBe(true);
      expect(p.ed25519Verify(bytes(publicKey), Uint8Array.of(0), bytes(signature))).toBe(false);
    }
  });

  test("Ed25519: same keys and signatures, each verifies the other's, both reject tampering", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 100 }),
        fc.nat(),
        (seed, message, flip) => {
          const a = nodePlatform.ed25519KeyPair(seed);
          const b = browserPlatform.ed25519KeyPair(seed);
          expect(hex(b.publicKey)).toBe(hex(a.publicKey));
          const sig = a.sign(message);
          expect(hex(b.sign(message))).toBe(hex(sig));
          for (const p of Object.values(platforms)) {
            expect(p.ed25519Verify(a.publicKey, message, sig)).toBe(true);
            const bad = Uint8Array.from(sig);
            bad[flip % 64]! ^= 1 << (flip % 8);
            expect(p.ed25519Verify(a.publicKey, message, bad)).toBe(false);
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  test("random bytes", () => {
    for (const p of Object.values(platforms)) {
      const a = p.randomBytes(32);
      expect(a.length).toBe(32);
      expect(hex(a)).not.toBe(hex(p.randomBytes(32)));
    }
  });
});

type Core = typeof import("../index.ts");

/** @btt/core loaded afresh with "#platform" pointing at `file`. */
async function coreOn(file: "./browser.ts" | "./node.js"): Promise<Core> {
  vi.resetModules();
  vi.doMock("#platform", () => (file === "./browser.ts" ? import("./browser.ts") : import("./node.js")));
  const core = await import("../index.ts");
  vi.doUnmock("#platform");
  return core;
}

describe("@btt/core on each platform", () => {
  test("addresses, signed txs, hashes, verification, proofs and block hashes are byte-identical", async () => {
    const onNode = await coreOn("./node.js");
    const onBrowser = await coreOn("./browser.ts");
    expect(onBrowser).not.toBe(onNode);
    // Each instance really runs on its platform: node.js hashes into Buffers, browser.ts does not.
    expect(Buffer.isBuffer(onNode.sha256(Uint8Array.of(1)))).toBe(true);
    expect(Buffer.isBuffer(onBrowser.sha256(Uint8Array.of(1)))).toBe(false);

    const run = (core: Core, i: number) => {
      const seed = core.sha256(Uint8Array.of(i));
      const ed = core.ed25519Signer(seed);
      const pq = core.mlDsa65Signer(seed);
      const body = core.createTxBody({
        chainId: "btt-test-1",
        sender: ed.address,
        nonce: BigInt(i),
        fee: { denom: "ubtt", amount: 3000n + BigInt(i) },
        messages: [core.msg("bank/Send", Uint8Array.of(i, 1, 2))],
        memo: `memo ${i}`,
      });
      const bytes = core.encodeTx(core.signTx(body, ed, true));
      const decoded = core.decodeTx(bytes);
      const pqSig = pq.sign(decoded.signBytes);
      const header = create(core.BlockHeaderSchema, {
        chainId: "btt-test-1",
        height: BigInt(i + 1),
        timeMs: 1000n,
        previousHash: seed,
        txRoot: core.txMerkleRoot([decoded.hash, seed]),
        appHash: seed,
        resultsHash: seed,
        proposer: ed.address,
      });
      return {
        out: {
          edAddress: ed.address,
          pqAddress: pq.address,
          tx: core.toHex(bytes),
          hash: core.toHex(decoded.hash),
          block: core.toHex(core.blockHash(header)),
          amount: core.toHex(core.encodeAmount(123456789n * BigInt(i + 1))),
          moduleAddress: core.moduleAddress("fee_collector"),
        },
        check: (other: Core) => {
          expect(other.verifySignature(ed.publicKey, decoded.signBytes, decoded.tx.signature)).toBe(true);
          expect(other.verifySignature(pq.publicKey, decoded.signBytes, pqSig)).toBe(true);
          expect(other.verifySignature(ed.publicKey, decoded.signBytes, pqSig)).toBe(false);
        },
      };
    };
    for (let i = 0; i < 5; i++) {
      const a = run(onNode, i);
      const b = run(onBrowser, i);
      expect(b.out).toEqual(a.out);
      a.check(onBrowser);
      b.check(onNode);
    }

    // A two-leaf tree built by hand: each platform's verifier accepts the other's proof.
    const leaf = (core: Core, key: Uint8Array, value: Uint8Array) => {
      const b = new Uint8Array(65);
      b.set(core.sha256(key), 1);
      b.set(core.sha256(value), 33);
      return core.sha256(b);
    };
    const [k1, k2] = [Uint8Array.of(1), Uint8Array.of(2)];
    const [n1, n2] = [onNode.sha256(k1)[0]! >> 4, onNode.sha256(k2)[0]! >> 4];
    expect(n1).not.toBe(n2);
    const bitmap = (1 << n1) | (1 << n2);
    const children =
      n1 < n2 ? [leaf(onNode, k1, k1), leaf(onNode, k2, k2)] : [leaf(onNode, k2, k2), leaf(onNode, k1, k1)];
    const root = onNode.sha256(Uint8Array.of(1, bitmap >> 8, bitmap & 0xff), ...children);
    const proof = onNode.encodeProof({
      steps: [{ bitmap, siblings: [leaf(onNode, k2, k2)] }],
      terminal: { type: "key" },
    });
    expect(onBrowser.toHex(onBrowser.encodeProof(onBrowser.decodeProof(proof)))).toBe(onNode.toHex(proof));
    for (const core of [onNode, onBrowser]) {
      expect(core.verifyProof(root, k1, k1, core.decodeProof(proof))).toBe(true);
      expect(core.verifyProof(root, k1, k2, core.decodeProof(proof))).toBe(false);
      expect(core.verifyProof(root, k2, k2, core.decodeProof(proof))).toBe(false);
    }
  });
});
