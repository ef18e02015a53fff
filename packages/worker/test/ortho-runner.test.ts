// The worker runs the shipped orthodontic model: its card id is known, and the benchmark answers
// (hashes of canonical results on generated cephalograms) repeat exactly.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModelRunner, ORTHO_MODEL, SHIPPED_MODELS } from "../src/model-runner.ts";

const ID = "btt.dental.orthodontic.landmarks";

describe("the orthodontic model on the compute network", () => {
  let runner: ModelRunner;
  beforeAll(async () => {
    runner = await ModelRunner.open([ORTHO_MODEL]);
  });
  afterAll(async () => {
    await runner?.close();
  });

  it("is a shipped model the worker knows by its card", () => {
    expect(SHIPPED_MODELS).toContain(ORTHO_MODEL);
    expect(runner.models).toEqual([{ id: ID, version: "0.1.0" }]);
    expect(runner.supports(ID, "")).toBe(true);
  });

  it("answers a benchmark the same way twice, and differently per seed", async () => {
    const a = await runner.benchmark(ID, "0.1.0", [3, 4]);
    const b = await runner.benchmark(ID, "0.1.0", [3, 4]);
    expect(a.map((h) => Buffer.from(h).toString("hex"))).toEqual(
      b.map((h) => Buffer.from(h).toString("hex")),
    );
    expect(Buffer.from(a[0]!).equals(Buffer.from(a[1]!))).toBe(false);
    const json = JSON.parse(
      new TextDecoder().decode(await runner.run(ID, await ORTHO_MODEL.benchmarkInput(3))),
    );
    expect(json.format).toBe("btt.orthodontic.canonical/v1");
    expect(Object.keys(json.landmarks_dmm)).toHaveLength(13);
  });
});
