// Every kind of bad input gets a clear {code, message, details} naming the field, the right
// status, never a stack trace and never a 500.
import { bankMsg } from "@btt/modules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  expectErrorShape,
  getJson,
  type Json,
  postBytes,
  postJson,
  startTestApi,
  type TestApi,
  transfer,
} from "./helpers.ts";

let t: TestApi;
let good: ReturnType<typeof transfer>;
beforeAll(async () => {
  t = await startTestApi();
  const [alice, bob] = t.chain.accounts;
  good = transfer({ from: alice!, to: bob!.address, amount: 5n, nonce: 0n, includeKey: true }, [
    bankMsg.send(bob!.address, [{ denom: "ubtt", amount: 5n }]),
  ]);
});
afterAll(async () => {
  await t.close();
});

/** POST /v1/txs of a deep copy of the good JSON tx with a change applied. */
function postChangedTx(change: (tx: Json) => void) {
  const tx = structuredClone(good.json);
  change(tx);
  return postJson(`${t.url}/v1/txs`, tx);
}

async function expectError(
  res: Promise<{ status: number; body: Json }>,
  status: number,
  code: string,
  mentions: string | RegExp,
) {
  const { status: got, body } = await res;
  expectErrorShape(body);
  expect({ status: got, code: body.code }).toEqual({ status, code });
  expect(body.message).toMatch(mentions);
  return body;
}

describe("malformed bodies", () => {
  it("rejects malformed JSON", async () => {
    const body = await expectError(
      postJson(`${t.url}/v1/txs`, '{"body": {'),
      400,
      "INVALID_REQUEST",
      /not valid JSON/,
    );
    expect(body.details.field).toBe("body");
  });

  it("rejects an empty JSON body", async () => {
    await expectError(postJson(`${t.url}/v1/txs`, ""), 400, "INVALID_REQUEST", /body/);
  });

  it("rejects an unsupported content type", async () => {
    const res = getJson(`${t.url}/v1/txs`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    await expectError(res, 415, "INVALID_REQUEST", /content-type/);
  });

  it("rejects an oversize body with 413", async () => {
    const big = { tx_bytes: "A".repeat(300 * 1024) };
    await expectError(postJson(`${t.url}/v1/txs`, big), 413, "PAYLOAD_TOO_LARGE", /larger than the limit/);
    await expectError(
      postBytes(`${t.url}/v1/txs`, new Uint8Array(300 * 1024)),
      413,
      "PAYLOAD_TOO_LARGE",
      /limit/,
    );
  });

  it("rejects bytes that are not a canonical tx", async () => {
    const tampered = Uint8Array.from(good.bytes);
    tampered[3] = 0xff;
    await expectError(postBytes(`${t.url}/v1/txs`, tampered), 400, "TX_MALFORMED", /canonical/);
    await expectError(postBytes(`${t.url}/v1/txs`, new Uint8Array(0)), 400, "TX_MALFORMED", /empty/);
  });
});

describe("JSON tx fields", () => {
  it("names an unknown top-level or nested field", async () => {
    const top = await expectError(
      postChangedTx((tx) => (tx.extra = 1)),
      400,
      "INVALID_REQUEST",
      /body\.extra is not a known field/,
    );
    expect(top.details.field).toBe("body.extra");
    await expectError(
      postChangedTx((tx) => (tx.body.messages[0].value.memo = "x")),
      400,
      "INVALID_REQUEST",
      /body\.body\.messages\[0\]\.value\.memo is not a known field/,
    );
  });

  it("names a field of the wrong type", async () => {
    await expectError(
      postChangedTx((tx) => (tx.body.nonce = 0)),
      400,
      "INVALID_REQUEST",
      /body\.body\.nonce must be a non-negative integer/,
    );
    await expectError(
      postChangedTx((tx) => (tx.body.messages = "all")),
      400,
      "INVALID_REQUEST",
      /body\.body\.messages/,
    );
    await expectError(postJson(`${t.url}/v1/txs`, [1, 2]), 400, "INVALID_REQUEST", /body/);
  });

  it("names a missing field", async () => {
    await expectError(
      postChangedTx((tx) => delete tx.signature),
      400,
      "INVALID_REQUEST",
      /body\.signature is required/,
    );
  });

  it("rejects amounts written as floats or with decimals", async () => {
    for (const amount of [1.5, "1.5", "0.000001", "1e3", "-5", "01"]) {
      const body = await expectError(
        postChangedTx((tx) => (tx.body.messages[0].value.amount[0].amount = amount)),
        400,
        "INVALID_REQUEST",
        /body\.body\.messages\[0\]\.value\.amount\[0\]\.amount must be a non-negative integer in base 10/,
      );
      expect(body.details.field).toBe("body.body.messages[0].value.amount[0].amount");
    }
    await expectError(
      postChangedTx((tx) => (tx.body.fee.amount = 3000.5)),
      400,
      "INVALID_REQUEST",
      /body\.body\.fee\.amount must be a non-negative integer/,
    );
  });

  it("rejects bad addresses", async () => {
    await expectError(
      postChangedTx((tx) => (tx.body.sender = "cosmos1abc")),
      400,
      "INVALID_REQUEST",
      /body\.body\.sender must be a bech32 account address/,
    );
    // Right shape, wrong checksum: caught when the message is validated.
    const to = good.json.body as Json;
    const bad = `${to.messages[0].value.to.slice(0, -1)}${to.messages[0].value.to.endsWith("q") ? "p" : "q"}`;
    await expectError(
      postChangedTx((tx) => (tx.body.messages[0].value.to = bad)),
      400,
      "INVALID_ADDRESS",
      /\bto is not a valid bech32 address/,
    );
  });

  it("rejects an unknown message type by name", async () => {
    await expectError(
      postChangedTx((tx) => (tx.body.messages[0].type = "bank/Steal")),
      400,
      "INVALID_REQUEST",
      /body\.body\.messages\[0\]\.type "bank\/Steal" is not a known message type/,
    );
  });

  it("rejects a signature that does not verify", async () => {
    await expectError(
      postChangedTx((tx) => (tx.body.memo = "changed after signing")),
      422,
      "BAD_SIGNATURE",
      /signature/,
    );
  });
});

describe("paths and query strings", () => {
  it("returns 404 JSON for unknown routes", async () => {
    for (const path of ["/v2/txs", "/v1/nothing", "/"]) {
      await expectError(getJson(`${t.url}${path}`), 404, "ROUTE_NOT_FOUND", /no route GET/);
    }
    await expectError(getJson(`${t.url}/v1/status`, { method: "DELETE" }), 404, "ROUTE_NOT_FOUND", /DELETE/);
  });

  it("rejects bad addresses in paths", async () => {
    const [alice] = t.chain.accounts;
    await expectError(
      getJson(`${t.url}/v1/accounts/alice`),
      400,
      "INVALID_REQUEST",
      /params\.address must be a bech32/,
    );
    const wrongSum = `${alice!.address.slice(0, -1)}${alice!.address.endsWith("q") ? "p" : "q"}`;
    const body = await expectError(
      getJson(`${t.url}/v1/accounts/${wrongSum}`),
      400,
      "INVALID_ADDRESS",
      /address/,
    );
    expect(body.details.field).toBe("address");
    await expectError(
      getJson(`${t.url}/v1/bank/balances/${wrongSum}/ubtt?prove=true`),
      400,
      "INVALID_ADDRESS",
      /address is not a valid bech32 address/,
    );
  });

  it("rejects bad hashes, heights, denominations and modules", async () => {
    await expectError(
      getJson(`${t.url}/v1/txs/xyz`),
      400,
      "INVALID_REQUEST",
      /params\.hash must be a 32-byte hash/,
    );
    await expectError(
      getJson(`${t.url}/v1/blocks/1.5`),
      400,
      "INVALID_REQUEST",
      /params\.height must be a block height/,
    );
    await expectError(getJson(`${t.url}/v1/blocks/0`), 400, "INVALID_REQUEST", /params\.height/);
    await expectError(getJson(`${t.url}/v1/blocks/99999`), 404, "NOT_FOUND", /no block at height 99999/);
    await expectError(
      getJson(`${t.url}/v1/supply/U`),
      400,
      "INVALID_REQUEST",
      /params\.denom must be a denomination/,
    );
    await expectError(getJson(`${t.url}/v1/supply/uzzz`), 404, "NOT_FOUND", /not registered/);
    await expectError(getJson(`${t.url}/v1/params/nomodule`), 404, "NOT_FOUND", /no module "nomodule"/);
    await expectError(getJson(`${t.url}/v1/queries/bank/nothing`), 404, "NOT_FOUND", /no query "nothing"/);
    await expectError(
      getJson(`${t.url}/v1/queries/bank/balance`),
      400,
      "INVALID_MESSAGE",
      /"address" is required/,
    );
    await expectError(getJson(`${t.url}/v1/state/bank/zz`), 400, "INVALID_REQUEST", /params\.key must be/);
  });

  it("rejects bad and unknown query parameters", async () => {
    const [alice] = t.chain.accounts;
    const base = `${t.url}/v1/accounts/${alice!.address}/txs`;
    for (const limit of ["0", "101", "1.5", "ten"]) {
      await expectError(
        getJson(`${base}?limit=${limit}`),
        400,
        "INVALID_REQUEST",
        /query\.limit must be an integer from 1 to 100/,
      );
    }
    await expectError(
      getJson(`${base}?cursor=AAAA`),
      400,
      "INVALID_REQUEST",
      /query\.cursor is not a cursor/,
    );
    await expectError(getJson(`${base}?page=2`), 400, "INVALID_REQUEST", /query\.page is not a known field/);
    await expectError(
      getJson(`${t.url}/v1/events?cursor=Zm9v`),
      400,
      "INVALID_REQUEST",
      /query\.cursor is not a cursor/,
    );
    await expectError(
      getJson(`${t.url}/v1/events?attr=novalue`),
      400,
      "INVALID_REQUEST",
      /query\.attr must be "key:value"/,
    );
    await expectError(
      getJson(`${t.url}/v1/txs?wait=forever`, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: good.bytes,
      }),
      400,
      "INVALID_REQUEST",
      /query\.wait/,
    );
    await expectError(
      getJson(`${t.url}/v1/bank/balances/${alice!.address}/ubtt?prove=maybe`),
      400,
      "INVALID_REQUEST",
      /query\.prove must be true or false/,
    );
  });
});

describe("limits", () => {
  it("rate limits per client with 429 RATE_LIMITED", async () => {
    const limited = await startTestApi({ rateLimit: { max: 3, windowMs: 60_000 } }, 1);
    try {
      for (let i = 0; i < 3; i++) expect((await getJson(`${limited.url}/v1/status`)).status).toBe(200);
      const body = await expectError(
        getJson(`${limited.url}/v1/status`),
        429,
        "RATE_LIMITED",
        /rate limit of 3 requests/,
      );
      expect(body.details).toEqual({});
      // Probes are not limited.
      expect((await getJson(`${limited.url}/healthz`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("allows configured CORS origins only", async () => {
    const ok = await fetch(`${t.url}/v1/status`, { headers: { origin: "http://localhost:5173" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    const no = await fetch(`${t.url}/v1/status`, { headers: { origin: "https://evil.example" } });
    expect(no.headers.get("access-control-allow-origin")).toBeNull();
  });
});
