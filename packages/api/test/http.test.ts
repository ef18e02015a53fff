// The API over real HTTP against a real node: submit (binary, base64, JSON) and wait for the
// commit, then read everything back, with proofs checked against block headers.
import { fromHex, toHex } from "@btt/core";
import { balanceStateKey, bankMsg } from "@btt/modules";
import { decodeProof, verifyProof } from "@btt/state";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, postBytes, postJson, startTestApi, type TestApi, transfer } from "./helpers.ts";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t.close();
});

const send = (to: string, amount: bigint) => [bankMsg.send(to, [{ denom: "ubtt", amount }])];

async function headerAt(height: string) {
  const { status, body } = await getJson(`${t.url}/v1/blocks/${height}`);
  expect(status).toBe(200);
  return body.header as { app_hash: string; height: string };
}

describe("transactions", () => {
  it("commits a binary tx with wait=commit and serves it by hash", async () => {
    const [alice, bob] = t.chain.accounts;
    const { bytes } = transfer(
      { from: alice!, to: bob!.address, amount: 5n, nonce: 0n, includeKey: true },
      send(bob!.address, 5n),
    );
    const res = await postBytes(`${t.url}/v1/txs?wait=commit`, bytes);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 0, code_name: "OK", log: "" });
    expect(res.body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(res.body.height)).toBeGreaterThan(1);
    expect(res.body.events.map((e: { type: string }) => e.type)).toContain("bank/transfer");

    const tx = await getJson(`${t.url}/v1/txs/${res.body.hash}`);
    expect(tx.status).toBe(200);
    expect(tx.body).toMatchObject({
      hash: res.body.hash,
      status: "committed",
      height: res.body.height,
      code: 0,
    });
    expect(tx.body.tx.body).toMatchObject({
      sender: alice!.address,
      nonce: "0",
      messages: [
        { type: "bank/Send", value: { to: bob!.address, amount: [{ denom: "ubtt", amount: "5" }] } },
      ],
    });
    expect(tx.body.tx.public_key.ed25519).toMatch(/^[0-9a-f]{64}$/);
    expect(BigInt(tx.body.fee)).toBeGreaterThan(0n);

    const block = await getJson(`${t.url}/v1/blocks/${res.body.height}`);
    expect(block.body.tx_hashes[res.body.index]).toBe(res.body.hash);
    const byHash = await getJson(`${t.url}/v1/blocks/by-hash/${block.body.hash}`);
    expect(byHash.body.height).toBe(res.body.height);
  });

  it("encodes a JSON tx to the same bytes and hash as its binary form", async () => {
    const [, bob, carol] = t.chain.accounts;
    const tr = transfer(
      { from: bob!, to: carol!.address, amount: 7n, nonce: 0n, includeKey: true },
      send(carol!.address, 7n),
    );
    const expected = toHex((await import("@btt/core")).sha256(tr.bytes));
    const res = await postJson(`${t.url}/v1/txs?wait=commit`, tr.json);
    expect(res.status).toBe(200);
    expect(res.body.hash).toBe(expected);
    expect(res.body.code).toBe(0);
    const stored = await getJson(`${t.url}/v1/txs/${expected}`);
    // The JSON view of the stored tx is the JSON the client sent (memo included).
    expect(stored.body.tx).toEqual(tr.json);
  });

  it("accepts {tx_bytes: base64} and returns 202 without waiting", async () => {
    const [, , carol, dave] = t.chain.accounts;
    const tr = transfer(
      { from: carol!, to: dave!.address, amount: 1n, nonce: 0n, includeKey: true },
      send(dave!.address, 1n),
    );
    const res = await postJson(`${t.url}/v1/txs`, { tx_bytes: Buffer.from(tr.bytes).toString("base64") });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("shows a pending tx, and times out a wait with 504", async () => {
    const [, , , dave] = t.chain.accounts;
    const [alice] = t.chain.accounts;
    t.driver.stop();
    try {
      const tr = transfer(
        { from: dave!, to: alice!.address, amount: 2n, nonce: 0n, includeKey: true },
        send(alice!.address, 2n),
      );
      const res = await postBytes(`${t.url}/v1/txs?wait=commit&timeout_ms=150`, tr.bytes);
      expect(res.status).toBe(504);
      expect(res.body.code).toBe("TIMEOUT");
      const hash = res.body.details.hash as string;
      const pending = await getJson(`${t.url}/v1/txs/${hash}`);
      expect(pending.body).toMatchObject({
        hash,
        status: "pending",
        tx: { body: { sender: dave!.address } },
      });
    } finally {
      t.driver.start();
    }
  });

  it("returns the ledger's error for a tx the mempool rejects", async () => {
    const [alice, bob] = t.chain.accounts;
    // nonce 0 was used by the first test
    const stale = transfer({ from: alice!, to: bob!.address, amount: 1n, nonce: 0n }, send(bob!.address, 1n));
    const res = await postBytes(`${t.url}/v1/txs`, stale.bytes);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe("NONCE_TOO_LOW");
    const cheap = transfer(
      { from: alice!, to: bob!.address, amount: 1n, nonce: 1n, fee: 1n },
      send(bob!.address, 1n),
    );
    const fee = await postBytes(`${t.url}/v1/txs`, cheap.bytes);
    expect(fee.status).toBe(422);
    expect(fee.body.code).toBe("INSUFFICIENT_FEE");
    const unknown = await getJson(`${t.url}/v1/txs/${"ab".repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe("NOT_FOUND");
  });
});

describe("queries", () => {
  it("serves status, latest block, account, supply, denoms, params and module queries", async () => {
    const [alice] = t.chain.accounts;
    const status = await getJson(`${t.url}/v1/status`);
    expect(status.body).toMatchObject({
      chain_id: "btt-test-1",
      peers: [],
      sync: { catching_up: false, mode: "solo" },
    });
    const latest = await getJson(`${t.url}/v1/blocks/latest`);
    expect(Number(latest.body.height)).toBeGreaterThanOrEqual(Number(status.body.height));

    const account = await getJson(`${t.url}/v1/accounts/${alice!.address}`);
    expect(account.body).toMatchObject({ address: alice!.address, key_type: "ed25519", nonce: "1" });
    expect(account.body.balances[0].denom).toBe("ubtt");

    const supply = await getJson(`${t.url}/v1/supply`);
    expect(supply.body.supply).toEqual([{ denom: "ubtt", amount: "4000000000" }]);
    expect((await getJson(`${t.url}/v1/supply/ubtt`)).body).toEqual({ denom: "ubtt", amount: "4000000000" });
    const denoms = await getJson(`${t.url}/v1/denoms`);
    expect(denoms.body.denoms[0]).toMatchObject({ denom: "ubtt", display: "BTT" });
    const params = await getJson(`${t.url}/v1/params/auth`);
    expect(params.body).toMatchObject({ fee_denom: "ubtt" });
    const q = await getJson(`${t.url}/v1/queries/bank/balance?address=${alice!.address}&denom=ubtt`);
    expect(q.body).toMatchObject({ address: alice!.address, denom: "ubtt" });
    expect(q.body.amount).toBe(account.body.balances[0].amount);
  });

  it("proves a balance against the app hash of the block at the height read", async () => {
    const [alice] = t.chain.accounts;
    const res = await getJson(`${t.url}/v1/bank/balances/${alice!.address}/ubtt?prove=true`);
    expect(res.status).toBe(200);
    const header = await headerAt(res.body.height);
    expect(res.body.app_hash).toBe(header.app_hash);
    expect(res.body.key).toBe(toHex(balanceStateKey(alice!.address, "ubtt")));
    const proof = decodeProof(fromHex(res.body.proof));
    expect(verifyProof(fromHex(header.app_hash), fromHex(res.body.key), fromHex(res.body.value), proof)).toBe(
      true,
    );
    // A different amount does not verify.
    expect(verifyProof(fromHex(header.app_hash), fromHex(res.body.key), Uint8Array.of(1), proof)).toBe(false);
    const plain = await getJson(`${t.url}/v1/bank/balances/${alice!.address}/ubtt`);
    expect(plain.body.amount).toBe(res.body.amount);
    expect(plain.body.proof).toBeUndefined();
  });

  it("proves raw state entries (inclusion and exclusion) at the latest and an older height", async () => {
    const [alice] = t.chain.accounts;
    const inner = toHex(balanceStateKey(alice!.address, "ubtt")).slice(toHex(Buffer.from("bank/")).length);
    const latest = await getJson(`${t.url}/v1/state/bank/${inner}`);
    expect(latest.status).toBe(200);
    const h = await headerAt(latest.body.height);
    expect(latest.body.app_hash).toBe(h.app_hash);
    const ok = verifyProof(
      fromHex(h.app_hash),
      fromHex(latest.body.state_key),
      fromHex(latest.body.value),
      decodeProof(fromHex(latest.body.proof)),
    );
    expect(ok).toBe(true);

    const absent = await getJson(`${t.url}/v1/state/bank/${"00".repeat(21)}`);
    expect(absent.body.value).toBeNull();
    expect(
      verifyProof(
        fromHex(absent.body.app_hash),
        fromHex(absent.body.state_key),
        undefined,
        decodeProof(fromHex(absent.body.proof)),
      ),
    ).toBe(true);

    const old = await getJson(`${t.url}/v1/state/bank/${inner}?height=1`);
    expect(old.body.height).toBe("1");
    expect(old.body.app_hash).toBe((await headerAt("1")).app_hash);
    expect(old.body.value).toBe(toHex(Buffer.from("3b9aca00", "hex"))); // 1,000,000,000 at genesis
    const future = await getJson(`${t.url}/v1/state/bank/${inner}?height=999999`);
    expect(future.status).toBe(404);
    expect(future.body.code).toBe("HEIGHT_UNAVAILABLE");
  });

  it("pages through an account's txs newest first with cursors", async () => {
    const [alice, bob] = t.chain.accounts;
    for (let n = 1n; n <= 5n; n++) {
      const tr = transfer({ from: bob!, to: alice!.address, amount: n, nonce: n }, send(alice!.address, n));
      expect((await postBytes(`${t.url}/v1/txs?wait=commit`, tr.bytes)).status).toBe(200);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await getJson(
        `${t.url}/v1/accounts/${bob!.address}/txs?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.txs.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.txs.map((x: { hash: string }) => x.hash));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    // bob: received from alice (1), sent to carol (1), sent five to alice.
    expect(seen.length).toBe(7);
    expect(new Set(seen).size).toBe(7);
    const heights = await Promise.all(
      seen.map(async (h) => Number((await getJson(`${t.url}/v1/txs/${h}`)).body.height)),
    );
    expect([...heights].sort((a, b) => b - a)).toEqual(heights);
  });

  it("pages through events by type and attribute", async () => {
    const [alice] = t.chain.accounts;
    const all: Array<{ height: string; attributes: Array<{ key: string; value: string }> }> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await getJson(
        `${t.url}/v1/events?type=bank/transfer&attr=recipient:${alice!.address}&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      all.push(...page.body.events);
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(cursor).toBeUndefined();
    // five from bob, and dave's tx that waited out its timeout (committed since)
    expect(all.length).toBe(6);
    for (const e of all) expect(e.attributes).toContainEqual({ key: "recipient", value: alice!.address });
    const heights = all.map((e) => Number(e.height));
    expect([...heights].sort((a, b) => b - a)).toEqual(heights);
    const fees = await getJson(`${t.url}/v1/events?type=auth/fee&limit=100`);
    expect(fees.body.events.length).toBeGreaterThanOrEqual(8);
    expect(fees.body.events[0]).toMatchObject({
      source: "tx",
      tx_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe("operations", () => {
  it("answers health, readiness and Prometheus metrics", async () => {
    expect((await getJson(`${t.url}/healthz`)).body).toEqual({ status: "ok" });
    const ready = await getJson(`${t.url}/readyz`);
    expect(ready.body.status).toBe("ready");
    const metrics = await fetch(`${t.url}/metrics`);
    const text = await metrics.text();
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    for (const name of [
      "btt_block_height",
      "btt_block_interval_seconds",
      "btt_block_txs",
      "btt_block_commit_seconds",
      "btt_block_close_seconds_count",
      "btt_mempool_txs",
      "btt_http_request_duration_seconds_bucket",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(
      /btt_http_request_duration_seconds_count\{method="GET",route="\/v1\/txs\/:hash",status_code="200"\} [1-9]/,
    );
  });

  it("echoes request ids", async () => {
    const res = await fetch(`${t.url}/healthz`, { headers: { "x-request-id": "abc-123" } });
    expect(res.headers.get("x-request-id")).toBe("abc-123");
    const generated = await fetch(`${t.url}/healthz`, { headers: { "x-request-id": "x".repeat(100) } });
    expect(generated.headers.get("x-request-id")).toMatch(/^r[0-9a-z]+$/);
  });
});
