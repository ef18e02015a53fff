// The API server's options and their defaults. The `api` section of a node's config.json
// (@btt/node NodeConfig.api) is a subset: host, port, CORS origins, rate limit.
import type { Signer } from "@btt/core";
import type { FastifyBaseLogger } from "fastify";
import type { LoggerOptions } from "pino";
import type { BlobStore } from "./blobs/store.ts";

export interface RateLimitOptions {
  /** Requests per window per client IP; 0 turns rate limiting off. */
  max: number;
  windowMs: number;
}

export interface ApiOptions {
  host: string;
  port: number;
  /**
   * Origins allowed by CORS: "*" (any), exact origins ("https://app.example"), or an origin with
   * any port ("http://localhost:*"). Empty: no cross-origin access.
   */
  corsOrigins: string[];
  rateLimit: RateLimitOptions;
  /** Largest request body (JSON or raw tx bytes). */
  bodyLimitBytes: number;
  /** Time allowed to receive a whole request. */
  requestTimeoutMs: number;
  /** Idle time after which a keep-alive connection is closed. */
  keepAliveTimeoutMs: number;
  /** `?wait=commit`: default and longest wait for the block. */
  defaultWaitMs: number;
  maxWaitMs: number;
  /** Largest WebSocket message a client may send, and subscriptions per socket. */
  wsMaxMessageBytes: number;
  wsMaxSubscriptions: number;
  /** pino options (level…), a logger instance, or false for none. */
  logger: boolean | LoggerOptions | FastifyBaseLogger;
  /** The encrypted blob store (see README "Encrypted blobs"). */
  blobs: BlobOptions;
}

export interface BlobOptions {
  /** Default: a filesystem store in `<data dir>/blobs`. */
  store?: BlobStore;
  /** Largest blob accepted by PUT /v1/blobs/{sha256}. */
  maxBytes?: number;
  /** The key that signs audit entries; default: `<data dir>/gateway_key.json`, created if missing. */
  gatewayKey?: Signer;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  host: "127.0.0.1",
  port: 1317,
  corsOrigins: ["http://localhost:*", "http://127.0.0.1:*"],
  rateLimit: { max: 1200, windowMs: 60_000 },
  bodyLimitBytes: 256 * 1024,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  defaultWaitMs: 30_000,
  maxWaitMs: 120_000,
  wsMaxMessageBytes: 64 * 1024,
  wsMaxSubscriptions: 32,
  logger: { level: "info" },
  blobs: {},
};

export function resolveOptions(opts: Partial<ApiOptions>): ApiOptions {
  const out = { ...DEFAULT_API_OPTIONS };
  for (const [key, value] of Object.entries(opts)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** CORS origin setting for @fastify/cors from the configured list. */
export function corsOrigin(origins: readonly string[]): boolean | Array<string | RegExp> {
  if (origins.includes("*")) return true;
  if (origins.length === 0) return false;
  return origins.map((o) => {
    if (!o.endsWith(":*")) return o;
    const base = o.slice(0, -2).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^${base}(:[0-9]{1,5})?$`);
  });
}
