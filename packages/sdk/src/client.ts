// BttClient: the node's HTTP + WebSocket API (packages/api/README.md) as typed calls. Works with
// the global fetch and WebSocket of browsers and Node (pass `ws`'s WebSocket on Node 20).
import { BttError, decodeAddress, encodeTx, type Msg, type Signer, type Tx } from "@btt/core";
import { validateDenom } from "@btt/modules/bank/denoms";
import type {
  AccountJson,
  BalanceJson,
  BlockJson,
  EventRecordJson,
  Page,
  StateJson,
  StatusJson,
  SubmitJson,
  TxJson,
} from "./api-types.ts";
import { BttApiError, TimeoutError, TxFailedError } from "./errors.ts";
import { bank, type CoinInput } from "./messages.ts";
import {
  type Stream,
  type SubscribeOptions,
  Subscription,
  type TxFilter,
  type WebSocketConstructor,
} from "./subscribe.ts";
import { type FeeSchedule, type JsonTx, parseFeeSchedule, type SignedTx, signTransaction } from "./tx.ts";
import { type VerifiedBalance, type VerifiedState, verifyBalance, verifyState } from "./verify.ts";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface BttClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:1317 */
  url: string;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  /** Default: the global WebSocket (browsers, Node ≥ 22); on Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /** Pin the chain: verified queries reject headers of another chain, txs are signed for it. */
  chainId?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

export interface SendOptions {
  memo?: string;
  /** Fixed fee; default: the smallest the chain's fee schedule accepts. */
  fee?: { denom: string; amount: bigint };
  /** Default: the account's next nonce from the node (committed state). */
  nonce?: bigint;
  /** Default: only when the chain does not know the account's key yet. */
  includePublicKey?: boolean;
  /** Wait for the block (default true); a committed failure throws TxFailedError. */
  wait?: boolean;
  timeoutMs?: number;
}

export interface SubmitOptions {
  /** Wait for the tx's block and return its result (default false: return once admitted). */
  wait?: boolean;
  timeoutMs?: number;
}

type Query = Record<string, string | number | bigint | boolean | undefined>;

function heightParam(height: bigint | number | string): string {
  const text = String(height);
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) {
    throw new BttError("INVALID_MESSAGE", `height must be a non-negative integer, not "${text}"`, {
      height: text,
    });
  }
  return text;
}

function hashParam(hash: string): string {
  if (!/^[0-9a-fA-F]{64}$/.test(hash)) {
    throw new BttError("INVALID_MESSAGE", "a hash is 64 hex digits", { hash });
  }
  return hash.toLowerCase();
}

export class BttClient {
  readonly url: string;
  private readonly fetchImpl: FetchLike;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly timeoutMs: number;
  private chainId: string | undefined;

  constructor(opts: BttClientOptions) {
    this.url = opts.url.replace(/\/+$/, "");
    const globalFetch = (globalThis as { fetch?: FetchLike }).fetch;
    // Called through a closure: browsers refuse fetch called as another object's method.
    this.fetchImpl = opts.fetch ?? ((input, init) => (globalFetch as FetchLike)(input, init));
    if (!opts.fetch && !globalFetch) throw new Error("no fetch: pass one in BttClientOptions.fetch");
    this.WebSocketImpl =
      opts.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? undefined;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.chainId = opts.chainId;
  }

  // ---- HTTP ----

  private async request<T>(
    method: "GET" | "POST",
    path: string,
    opts: { query?: Query; body?: Uint8Array | string; contentType?: string; timeoutMs?: number } = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString();
    const url = `${this.url}/v1${path}${qs ? `?${qs}` : ""}`;
    const init: RequestInit = { method, headers: { accept: "application/json" } };
    if (opts.body !== undefined) {
      init.body = opts.body as NonNullable<RequestInit["body"]>;
      init.headers = { ...init.headers, "content-type": opts.contentType ?? "application/json" };
    }
    const timeout = opts.timeoutMs ?? this.timeoutMs;
    if (typeof AbortSignal !== "undefined" && "timeout" in AbortSignal)
      init.signal = AbortSignal.timeout(timeout);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(url, init);
      text = await res.text();
    } catch (err) {
      const name = (err as Error).name;
      if (name === "TimeoutError" || name === "AbortError") {
        throw new TimeoutError(`${method} ${url} got no answer in ${timeout} ms`);
      }
      throw new BttApiError("NETWORK_ERROR", `${method} ${url} failed: ${(err as Error).message}`, 0);
    }
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      const e = (body ?? {}) as { code?: unknown; message?: unknown; details?: unknown };
      throw new BttApiError(
        typeof e.code === "string" ? e.code : `HTTP_${res.status}`,
        typeof e.message === "string"
          ? e.message
          : `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
        res.status,
        typeof e.details === "object" && e.details !== null ? (e.details as Record<string, unknown>) : {},
      );
    }
    if (body === undefined) {
      throw new BttApiError("INVALID_RESPONSE", `${method} ${path}: the answer is not JSON`, res.status);
    }
    return body as T;
  }

  // ---- chain and blocks ----

  status(): Promise<StatusJson> {
    return this.request("GET", "/status");
  }

  /** The chain id: pinned in the options, else asked once from /status. */
  async getChainId(): Promise<string> {
    this.chainId ??= (await this.status()).chain_id;
    return this.chainId;
  }

  block(height: bigint | number | "latest" = "latest"): Promise<BlockJson> {
    return this.request("GET", `/blocks/${height === "latest" ? "latest" : heightParam(height)}`);
  }

  blockByHash(hash: string): Promise<BlockJson> {
    return this.request("GET", `/blocks/by-hash/${hashParam(hash)}`);
  }

  params(module: string): Promise<unknown> {
    return this.request("GET", `/params/${encodeURIComponent(module)}`);
  }

  /** The auth module's fee schedule, for estimating fees. */
  async feeSchedule(): Promise<FeeSchedule> {
    return parseFeeSchedule(await this.params("auth"));
  }

  supply(): Promise<{ supply: Array<{ denom: string; amount: string }> }>;
  supply(denom: string): Promise<{ denom: string; amount: string }>;
  supply(denom?: string): Promise<unknown> {
    return this.request("GET", denom === undefined ? "/supply" : `/supply/${encodeURIComponent(denom)}`);
  }

  denoms(): Promise<unknown> {
    return this.request("GET", "/denoms");
  }

  /** A module's named query (`GET /v1/queries/{module}/{name}`); values are not proven. */
  query(module: string, name: string, params: Record<string, string> = {}): Promise<unknown> {
    return this.request("GET", `/queries/${encodeURIComponent(module)}/${encodeURIComponent(name)}`, {
      query: params,
    });
  }

  // ---- accounts, txs, events ----

  account(address: string): Promise<AccountJson> {
    decodeAddress(address);
    return this.request("GET", `/accounts/${address}`);
  }

  async txsOf(address: string, page: { limit?: number; cursor?: string } = {}): Promise<Page<TxJson>> {
    decodeAddress(address);
    const r = await this.request<{ txs: TxJson[]; next_cursor?: string }>("GET", `/accounts/${address}/txs`, {
      query: page,
    });
    return { items: r.txs, nextCursor: r.next_cursor };
  }

  async events(
    q: { type?: string; attr?: { key: string; value: string }; limit?: number; cursor?: string } = {},
  ): Promise<Page<EventRecordJson>> {
    const r = await this.request<{ events: EventRecordJson[]; next_cursor?: string }>("GET", "/events", {
      query: {
        type: q.type,
        attr: q.attr ? `${q.attr.key}:${q.attr.value}` : undefined,
        limit: q.limit,
        cursor: q.cursor,
      },
    });
    return { items: r.events, nextCursor: r.next_cursor };
  }

  tx(hash: string): Promise<TxJson> {
    return this.request("GET", `/txs/${hashParam(hash)}`);
  }

  /** Submits a tx (bytes, a signed tx, or the JSON form); with `wait`, returns its committed result. */
  submit(tx: Uint8Array | SignedTx | Tx | JsonTx, opts: SubmitOptions = {}): Promise<SubmitJson> {
    const query: Query = opts.wait ? { wait: "commit", timeout_ms: opts.timeoutMs } : {};
    // The HTTP request outlives the server's own wait by a margin, so the server's 504 arrives.
    const timeoutMs = opts.wait ? Math.max(this.timeoutMs, (opts.timeoutMs ?? 30_000) + 5_000) : undefined;
    if (tx instanceof Uint8Array || "bytes" in tx || "$typeName" in tx) {
      const bytes = tx instanceof Uint8Array ? tx : "bytes" in tx ? tx.bytes : encodeTx(tx);
      return this.request("POST", "/txs", {
        query,
        body: bytes,
        contentType: "application/octet-stream",
        timeoutMs,
      });
    }
    return this.request("POST", "/txs", { query, body: JSON.stringify(tx), timeoutMs });
  }

  /** Polls until the tx is committed; TimeoutError after `timeoutMs`. */
  async waitForTx(hash: string, timeoutMs = 30_000): Promise<TxJson> {
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    for (;;) {
      try {
        const tx = await this.tx(hash);
        if (tx.status === "committed") return tx;
      } catch (err) {
        if (!(err instanceof BttApiError && err.status === 404)) throw err;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new TimeoutError(`transaction ${hash} was not committed within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, Math.min(delay, left)));
      delay = Math.min(delay * 2, 1000);
    }
  }

  /**
   * Signs `messages` for the signer's account with the node's nonce, chain id and fee schedule,
   * submits, and (by default) waits for the commit; a committed failure throws TxFailedError.
   */
  async signAndSubmit(signer: Signer, messages: readonly Msg[], opts: SendOptions = {}): Promise<SubmitJson> {
    const [chainId, account, feeSchedule] = await Promise.all([
      this.getChainId(),
      this.account(signer.address),
      opts.fee ? undefined : this.feeSchedule(),
    ]);
    const signed = signTransaction(signer, {
      chainId,
      nonce: opts.nonce ?? BigInt(account.nonce),
      messages,
      memo: opts.memo ?? "",
      ...(opts.fee ? { fee: opts.fee } : { feeSchedule: feeSchedule! }),
      includePublicKey: opts.includePublicKey ?? account.key_type === null,
    });
    const wait = opts.wait ?? true;
    const result = await this.submit(signed, {
      wait,
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    });
    if (wait && result.code !== undefined && result.code !== 0) {
      throw new TxFailedError({
        hash: result.hash,
        code: result.code,
        code_name: result.code_name ?? "UNKNOWN",
        log: result.log ?? "",
        ...(result.height ? { height: result.height } : {}),
      });
    }
    return result;
  }

  /** Sends coins from the signer's account to `to` (see signAndSubmit). */
  sendTokens(
    signer: Signer,
    to: string,
    coins: CoinInput | readonly CoinInput[],
    opts: SendOptions = {},
  ): Promise<SubmitJson> {
    return this.signAndSubmit(signer, [bank.send({ to, amount: coins })], opts);
  }

  // ---- verified queries ----

  /**
   * A balance, verified: the Merkle proof against the app hash, and the app hash against the
   * header of that height (whose hash is recomputed). Throws ProofError if anything disagrees.
   */
  async balance(address: string, denom: string): Promise<VerifiedBalance> {
    decodeAddress(address);
    validateDenom(denom);
    const resp = await this.request<BalanceJson>(
      "GET",
      `/bank/balances/${address}/${encodeURIComponent(denom)}`,
      {
        query: { prove: true },
      },
    );
    const block = await this.block(BigInt(heightParam(resp.height)));
    return verifyBalance(resp, block, address, denom, this.chainId);
  }

  /** A raw state entry of a module (key = hex inside the module's prefix), verified like balance(). */
  async state(
    module: string,
    keyHex: string,
    opts: { height?: bigint | number } = {},
  ): Promise<VerifiedState> {
    if (!/^([0-9a-fA-F]{2})+$/.test(keyHex)) {
      throw new BttError("INVALID_MESSAGE", "a state key is a non-empty even-length hex string", {
        key: keyHex,
      });
    }
    const resp = await this.request<StateJson>(
      "GET",
      `/state/${encodeURIComponent(module)}/${keyHex.toLowerCase()}`,
      { query: { height: opts.height === undefined ? undefined : heightParam(opts.height) } },
    );
    const block = await this.block(BigInt(heightParam(resp.height)));
    return verifyState(resp, block, module, keyHex, this.chainId);
  }

  // ---- subscriptions ----

  /**
   * Blocks, or tx results matching `filter`, from `fromHeight` (default: the next block), across
   * reconnects without gaps or repeats.
   */
  subscribe(stream: Stream, filter?: TxFilter, opts: SubscribeOptions = {}): Subscription {
    if (!this.WebSocketImpl) {
      throw new Error(
        "no WebSocket: pass one in BttClientOptions.WebSocket (e.g. the `ws` package's on Node 20)",
      );
    }
    const wsUrl = `${this.url.replace(/^http/, "ws")}/v1/ws`;
    return new Subscription(wsUrl, this.WebSocketImpl, stream, filter, opts);
  }
}
