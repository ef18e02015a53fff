// Liveness, readiness, Prometheus metrics and the OpenAPI document (outside /v1).
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import { errorResponses } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

export async function opsRoutes(app: FastifyInstance, ctx: ApiContext, registry: Registry): Promise<void> {
  const { node } = ctx;
  // Operators' probes are never rate limited.
  const config = { rateLimit: false };

  app.get(
    "/healthz",
    {
      config,
      schema: {
        tags: ["ops"],
        summary: "Liveness: the process answers",
        response: { 200: Type.Object({ status: Type.Literal("ok") }) },
      },
    },
    async () => ({ status: "ok" as const }),
  );

  app.get(
    "/readyz",
    {
      config,
      schema: {
        tags: ["ops"],
        summary: "Readiness: the store is open and the chain has a committed height",
        response: {
          200: Type.Object({ status: Type.Literal("ready"), height: Type.String() }),
          ...errorResponses,
        },
      },
    },
    async (_request, reply) => {
      const height = ctx.closing ? 0 : node.height;
      if (height === 0) {
        reply.code(503);
        return {
          code: "NOT_READY",
          message: ctx.closing ? "the node is shutting down" : "no block committed yet (genesis pending)",
          details: {},
        };
      }
      return { status: "ready" as const, height: String(height) };
    },
  );

  app.get(
    "/metrics",
    {
      config,
      schema: {
        tags: ["ops"],
        summary: "Prometheus metrics (text exposition format)",
        produces: ["text/plain"],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );

  app.get("/openapi.json", { config, schema: { hide: true } }, async () => app.swagger());
}
