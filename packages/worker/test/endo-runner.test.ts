// The worker runs the shipped endodontic and oral-pathology models: their card ids are known, and
// the benchmark answers (hashes of canonical results on generated views) repeat exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENDO_MODEL, ModelRunner, ORAL_PATH_MODEL, SHIPPED_MODELS } from "../src/model-runner.ts";

describe("the endodontic model on the compute network", () => {
  let runner: ModelRunner;
  beforeAll(async () => {
    runner = await ModelRunner.open([ENDO_MODEL]);
  });
  afterAll(async () => {
    await runner?.close();
  });

  it("is a shipped model the worker knows by its card", () => {
    expect(SHIPPED_MODELS).toContain(ENDO_MODEL);
    expect(runner.models).toEqual([{ id: "btt.dental.endodontic.periapical", version: "0.1.0" }]);
    expect(runner.supports("btt.dental.endodontic.periapical", "")).toBe(true);
  });

  it("answers a benchmark the same way twice, and differently per seed", async () => {
    const a = await runner.benchmark("btt.dental.endodontic.periapical", "0.1.0", [3, 4]);
    const b = await runner.benchmark("btt.dental.endodontic.periapical", "0.1.0", [3, 4]);
    expect(a.map((h) => Buffer.from(h).toString("hex"))).toEqual(
      b.map((h) => Buffer.from(h).toString("hex")),
    );
    expect(Buffer.from(a[0]!).equals(Buffer.from(a[1]!))).toBe(false);
    const bytes = new TextDecoder().decode(
      await runner.run("btt.dental.endodontic.periapical", await ENDO_MODEL.benchmarkInput(3)),
    );
    expect(JSON.parse(bytes).format).toBe("btt.endodontic.canonical/v1");
  });
});

describe("the oral-pathology model on the compute network", () => {
  it("answers a benchmark the same way twice, in its own canonical format", async () => {
    const runner = await ModelRunner.open([ORAL_PATH_MODEL]);
    try {
      const id = "btt.dental.oral-pathology.screening";
      expect(SHIPPED_MODELS).toContain(ORAL_PATH_MODEL);
      const a = await runner.benchmark(id, "0.1.0", [3, 4]);
      const b = await runner.benchmark(id, "0.1.0", [3, 4]);
      expect(a.map((h) => Buffer.from(h).toString("hex"))).toEqual(
        b.map((h) => Buffer.from(h).toString("hex")),
      );
      const bytes = new TextDecoder().decode(await runner.run(id, await ORAL_PATH_MODEL.benchmarkInput(3)));
      expect(JSON.parse(bytes).format).toBe("btt.oral-pathology.canonical/v1");
    } finally {
      await runner.close();
    }
  });
});
