// The OpenAPI document is a valid OpenAPI 3.1 document and documents every route the server has.
import { registeredRoutes } from "@btt/api";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getJson, type Json, startTestApi, type TestApi } from "./helpers.ts";

let t: TestApi;
let doc: Json;
beforeAll(async () => {
  t = await startTestApi();
  const res = await getJson(`${t.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(async () => {
  await t.close();
});

describe("/openapi.json", () => {
  it("validates as OpenAPI 3.1", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("covers every registered route (the docs page's own assets aside)", () => {
    const routes = registeredRoutes(t.api.app);
    expect(routes.length).toBeGreaterThan(20);
    const missing: string[] = [];
    for (const r of routes) {
      if (r.hidden) {
        // Only the docs page's assets, the document itself and CORS preflights stay out of it.
        expect(r.url === "/openapi.json" || r.url.startsWith("/docs") || r.method === "OPTIONS").toBe(true);
        continue;
      }
      const path = r.url.replace(/:([A-Za-z_]+)/g, "{$1}");
      const op = doc.paths[path]?.[r.method.toLowerCase()];
      if (!op) missing.push(`${r.method} ${path}`);
    }
    expect(missing).toEqual([]);
    for (const path of [
      "/v1/txs",
      "/v1/txs/{hash}",
      "/v1/bank/balances/{address}/{denom}",
      "/v1/events",
      "/v1/ws",
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
  });

  it("documents errors, JSON txs and raw bytes", () => {
    expect(doc.components.schemas.Error).toBeDefined();
    const submit = doc.paths["/v1/txs"].post;
    expect(Object.keys(submit.requestBody.content).sort()).toEqual([
      "application/json",
      "application/octet-stream",
    ]);
    expect(submit.responses["4XX"] ?? submit.responses["4xx"]).toBeDefined();
    expect(JSON.stringify(submit.requestBody.content["application/json"])).toContain("bank/Send");
  });

  it("serves a docs page from the package's own files", async () => {
    const page = await fetch(`${t.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("swagger-ui");
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
  });
});
