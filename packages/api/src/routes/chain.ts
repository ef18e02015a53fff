// Supply, denominations, module parameters and modules' named queries.
import { BttError } from "@btt/core";
import type { Module } from "@btt/modules";
import { Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { Coin, Denom, errorResponses, ModuleName } from "../schemas.ts";
import type { ApiContext } from "../server.ts";

const AnyJson = Type.Unknown({ description: "the query's JSON result" });

export async function chainRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const { node } = ctx;
  const { bank } = node.ledger.app;

  const moduleNamed = (name: string): Module => {
    const found = node.ledger.app.modules.find((m) => m.name === name);
    if (!found) {
      const known = node.ledger.app.modules.map((m) => m.name).join(", ");
      throw new BttError("NOT_FOUND", `no module "${name}"; modules: ${known}`, { field: "params.module" });
    }
    return found;
  };
  const runQuery = (module: string, name: string, params: Record<string, string>) => {
    const m = moduleNamed(module);
    if (!m.queries.some((q) => q.name === name)) {
      const known = m.queries.map((q) => q.name).join(", ");
      throw new BttError("NOT_FOUND", `module ${module} has no query "${name}"; queries: ${known}`, {
        field: "params.name",
      });
    }
    // Before the first block the state is empty: say so rather than answer with nothing.
    if (node.height === 0) throw new BttError("NOT_READY", "the node has not committed its first block yet");
    return node.query(module, name, params);
  };

  app.get(
    "/supply",
    {
      schema: {
        tags: ["chain"],
        summary: "Total supply of every denomination",
        response: { 200: Type.Object({ supply: Type.Array(Coin) }), ...errorResponses },
      },
    },
    async () => ({
      supply: bank.keeper
        .supplies(node.ledger.committed)
        .map((c) => ({ denom: c.denom, amount: c.amount.toString() })),
    }),
  );

  app.get<{ Params: { denom: string } }>(
    "/supply/:denom",
    {
      schema: {
        tags: ["chain"],
        summary: "Total supply of one denomination",
        params: Type.Object({ denom: Denom }),
        response: { 200: Coin, ...errorResponses },
      },
    },
    async (request) => {
      const { denom } = request.params;
      if (!bank.keeper.denom(node.ledger.committed, denom)) {
        throw new BttError("NOT_FOUND", `denomination "${denom}" is not registered`, { denom });
      }
      return { denom, amount: bank.keeper.supply(node.ledger.committed, denom).toString() };
    },
  );

  app.get(
    "/denoms",
    {
      schema: {
        tags: ["chain"],
        summary: "Metadata of every denomination (display unit, decimals, minters)",
        response: {
          200: Type.Object({
            denoms: Type.Array(
              Type.Object({
                denom: Type.String(),
                display: Type.String(),
                decimals: Type.Integer(),
                description: Type.String(),
                minters: Type.Array(Type.String()),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async () => ({ denoms: bank.keeper.denoms(node.ledger.committed) }),
  );

  app.get<{ Params: { module: string } }>(
    "/params/:module",
    {
      schema: {
        tags: ["chain"],
        summary: "A module's parameters (as stored: canonical JSON)",
        params: Type.Object({ module: ModuleName }),
        response: { 200: Type.Record(Type.String(), Type.Unknown()), ...errorResponses },
      },
    },
    async (request) => runQuery(request.params.module, "params", {}),
  );

  app.get<{ Params: { module: string; name: string }; Querystring: Record<string, string> }>(
    "/queries/:module/:name",
    {
      schema: {
        tags: ["chain"],
        summary: "A module's named query; its parameters in the query string",
        description:
          "E.g. /v1/queries/bank/balance?address=btt1…&denom=ubtt. Each module lists its queries in its README.",
        params: Type.Object({
          module: ModuleName,
          name: Type.String({ pattern: "^[a-z][a-z0-9_]{0,63}$", description: "a query name" }),
        }),
        // Free-form: each query names its own parameters (a Record would not map to OpenAPI parameters).
        querystring: Type.Object({}, { additionalProperties: Type.String({ maxLength: 1024 }) }),
        response: { 200: AnyJson, ...errorResponses },
      },
    },
    async (request) => runQuery(request.params.module, request.params.name, { ...request.query }),
  );
}
