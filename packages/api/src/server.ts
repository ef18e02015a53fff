// The gateway: a Fastify server over a BttNode. createApiServer builds it (not listening: tests
// may use inject); startApi also listens and is what `btt start` calls.

import { BttError } from "@btt/core";
import type { BttNode } from "@btt/node";
import type { DescMessage } from "@bufbuild/protobuf";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { BlockFeed } from "./block-feed.ts";
import { CommitWaiters } from "./commit-waiter.ts";
import { installErrorHandlers } from "./errors.ts";
import { messageTypes } from "./json-tx.ts";
import { createMetrics } from "./metrics.ts";
import { type ApiOptions, corsOrigin, resolveOptions } from "./options.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { aiRoutes } from "./routes/ai.ts";
import { blobRoutes } from "./routes/blobs.ts";
import { blockRoutes } from "./routes/blocks.ts";
import { chainRoutes } from "./routes/chain.ts";
import { disclosureRoutes } from "./routes/disclosures.ts";
import { eventRoutes } from "./routes/events.ts";
import { opsRoutes } from "./routes/ops.ts";
import { privacyRoutes } from "./routes/privacy.ts";
import { stateRoutes } from "./routes/state.ts";
import { txRoutes } from "./routes/txs.ts";
import { ErrorBody } from "./schemas.ts";
import { installValidators } from "./validation.ts";
import { VERSION } from "./version.ts";
import { wsRoutes } from "./ws.ts";

/** What every route module needs. */
export interface ApiContext {
  node: BttNode;
  opts: ApiOptions;
  /** Message types by name (JSON txs, tx views). */
  types: Map<string, DescMessage>;
  feed: BlockFeed;
  waiters: CommitWaiters;
  /** Set once the server starts closing: /readyz fails, waits end. */
  closing: boolean;
}

export interface RouteInfo {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (the docs page's own assets, the document itself). */
  hidden: boolean;
}

const routeLists = new WeakMap<FastifyInstance, RouteInfo[]>();

/** Every route the server registered (for the OpenAPI coverage test and tools). */
export function registeredRoutes(app: FastifyInstance): readonly RouteInfo[] {
  return routeLists.get(app) ?? [];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function createApiServer(
  node: BttNode,
  options: Partial<ApiOptions> = {},
): Promise<FastifyInstance> {
  const opts = resolveOptions(options);
  let requests = 0;
  const logger = opts.logger;
  const fastifyOpts: FastifyServerOptions = {
    bodyLimit: opts.bodyLimitBytes,
    requestTimeout: opts.requestTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    connectionTimeout: 0,
    return503OnClosing: true,
    // Only the documented methods: no implicit HEAD twin of every GET.
    exposeHeadRoutes: false,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 256 },
    // A client's own id is kept when it is a plain token (it ends up in log lines).
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : `r${(++requests).toString(36)}`;
    },
    ajv: { customOptions: { removeAdditional: false } },
  };
  const app =
    logger && typeof logger === "object" && "child" in logger
      ? Fastify({ ...fastifyOpts, loggerInstance: logger })
      : Fastify({ ...fastifyOpts, logger: logger as boolean | object });

  const routes: RouteInfo[] = [];
  app.addHook("onRoute", (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const method of methods) {
      routes.push({
        method,
        url: r.url,
        hidden: Boolean((r.schema as { hide?: boolean } | undefined)?.hide),
      });
    }
  });
  routeLists.set(app, routes);
  installValidators(app);
  installErrorHandlers(app);
  // JSON, or raw tx bytes (routes/txs.ts): any other body type is refused with 415.
  app.removeContentTypeParser("text/plain");
  app.addSchema(ErrorBody);
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    done();
  });

  const types = messageTypes(node.ledger.app.modules);
  const feed = new BlockFeed(node, types);
  const ctx: ApiContext = { node, opts, types, feed, waiters: new CommitWaiters(feed), closing: false };
  const metrics = createMetrics(app, node);
  app.addHook("preClose", (done) => {
    ctx.closing = true;
    done();
  });
  app.addHook("onClose", (_app, done) => {
    ctx.waiters.close();
    feed.close();
    metrics.stop();
    done();
  });

  await app.register(cors, { origin: corsOrigin(opts.corsOrigins), exposedHeaders: ["x-request-id"] });
  if (opts.rateLimit.max > 0) {
    await app.register(rateLimit, {
      max: opts.rateLimit.max,
      timeWindow: opts.rateLimit.windowMs,
      errorResponseBuilder: (_req, context) =>
        new BttError(
          "RATE_LIMITED",
          `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${context.after}`,
        ) as unknown as { statusCode: number },
    });
  }
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "BTT node API",
        version: VERSION,
        description:
          "HTTP and WebSocket gateway of a BTT node: transactions, blocks, accounts, state with Merkle proofs, events. " +
          "Errors are {code, message, details}; amounts, nonces and heights are decimal strings.",
      },
      tags: [
        { name: "txs", description: "Submit and look up transactions" },
        { name: "blocks", description: "Blocks and node status" },
        { name: "accounts", description: "Accounts, balances, their transactions" },
        { name: "chain", description: "Supply, denominations, parameters, module queries" },
        { name: "state", description: "Raw state with Merkle proofs" },
        { name: "events", description: "Events and WebSocket subscriptions" },
        { name: "identity", description: "Credentials: who an account is, at a height" },
        { name: "consent", description: "Patients' consent grants, access decisions, break-glass records" },
        { name: "compliance", description: "Jurisdiction rules: data residency, investor eligibility" },
        { name: "ai", description: "AI diagnostics: radiograph in, FHIR DiagnosticReport out" },
        { name: "blobs", description: "Encrypted blobs: upload by SHA-256, signed and audited fetch" },
        { name: "records", description: "Record commitments: selective disclosures checked against them" },
        { name: "ops", description: "Health, readiness, metrics" },
      ],
    },
    // The shared error schema becomes #/components/schemas/Error instead of an opaque def-N.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) || `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs", staticCSP: true });
  await app.register(websocket, {
    options: { maxPayload: opts.wsMaxMessageBytes },
  });

  await app.register(
    async (v1) => {
      await txRoutes(v1, ctx);
      await blockRoutes(v1, ctx);
      await accountRoutes(v1, ctx);
      await chainRoutes(v1, ctx);
      await stateRoutes(v1, ctx);
      await eventRoutes(v1, ctx);
      await privacyRoutes(v1, ctx);
      await blobRoutes(v1, ctx);
      await disclosureRoutes(v1, ctx);
      await aiRoutes(v1, ctx);
      await wsRoutes(v1, ctx);
    },
    { prefix: "/v1" },
  );
  await opsRoutes(app, ctx, metrics.registry);
  return app;
}

export interface RunningApi {
  app: FastifyInstance;
  /** e.g. http://127.0.0.1:1317 */
  url: string;
  close(): Promise<void>;
}

/** Builds the server and listens on opts.host:opts.port (port 0 = any free port). */
export async function startApi(node: BttNode, options: Partial<ApiOptions> = {}): Promise<RunningApi> {
  const opts = resolveOptions(options);
  const app = await createApiServer(node, opts);
  await app.listen({ host: opts.host, port: opts.port });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : opts.port;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return { app, url: `http://${host}:${port}`, close: () => app.close() };
}
